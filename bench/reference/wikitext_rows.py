"""WikiText-2 raw files read back into the rows of the hub's dataset (Salesforce/wikitext's builder)."""


def hub_rows(path):
    """Each file line with its newline, blank lines as ""."""
    with open(path, encoding="utf-8", newline="") as f:
        return [line if line.strip() else "" for line in f]
