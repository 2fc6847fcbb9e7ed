"""Streamlit helpers: the cached data boundary, session/URL state, the page frame, charts and render helpers."""
