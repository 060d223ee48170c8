"""Campaign Console's engine: everything that is not UI. Nothing here imports Streamlit."""
