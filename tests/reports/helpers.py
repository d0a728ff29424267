from io import BytesIO

from openpyxl import load_workbook
from pypdf import PdfReader


def pdf_text(content: bytes) -> str:
    """All pages' text, with non-breaking spaces and line breaks flattened to plain spaces."""
    reader = PdfReader(BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


def read_file(document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def workbook(content: bytes):
    return load_workbook(BytesIO(content))
