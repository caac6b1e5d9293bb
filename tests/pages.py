"""Reading a rendered page in tests."""


def beside(page: str, field: str, error: str) -> bool:
    """The error is shown with the field: crispy puts it in the field's own block, after its input (after a text
    area's closing tag, however much was typed into it)."""
    start = page.index(f'name="{field}"')
    tag_start = page.rindex("<", 0, start)
    if page.startswith("<textarea", tag_start):
        start = page.index("</textarea>", start)
    return error in page[start : start + 1500]
