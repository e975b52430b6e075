"""ganhub's Gradio app: the Hugging Face Spaces entry point (`python app.py --help`).

A thin call into `ganhub serve`, so both take the same flags: every installed plugin's
models get a tab and an API endpoint; nothing heavy loads before the first request.
"""

import sys

from ganhub.cli import main

if __name__ == "__main__":
    main(["serve", *sys.argv[1:]])
