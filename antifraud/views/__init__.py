"""Pure builders behind the pages: query frames in, display frames out (no Streamlit)."""
