"""Compile snapshot diffs to SQL per dialect (``postgresql``, ``sqlite``) and classify each statement's risk."""
