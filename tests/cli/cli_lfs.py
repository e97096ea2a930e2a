"""LFs for the CLI tests (``--lfs tests.cli.cli_lfs:LFS``): keyword LFs on youtube-like texts."""

from liger import ABSTAIN, labeling_function


@labeling_function
def check_out(text):
    return 1 if "check out" in text.lower() else ABSTAIN


@labeling_function
def subscribe(text):
    return 1 if "subscribe" in text.lower() else ABSTAIN


@labeling_function
def song(text):
    return 0 if "song" in text.lower() else ABSTAIN


@labeling_function
def love(text):
    return 0 if "love" in text.lower() else ABSTAIN


LFS = [check_out, subscribe, song, love]
NOT_A_LIST = check_out
