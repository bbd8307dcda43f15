"""The render functions the views hand to ``cmmc_site.render_guard.run_limited``.

They import their renderer when called, that is in the render child process (whose fork server has WeasyPrint
loaded already): the web workers never import WeasyPrint themselves.
"""

from .blocks import SspDocument


def docx(doc: SspDocument) -> bytes:
    from . import render_docx

    return render_docx.render(doc)


def poam_docx(doc: SspDocument) -> bytes:
    from . import render_docx

    return render_docx.render_poam(doc)


def pdf(doc: SspDocument) -> bytes:
    from . import render_pdf

    return render_pdf.render(doc)


def both(doc: SspDocument) -> tuple[bytes, bytes]:
    """The DOCX and the PDF of one version, in one render process: the document is sent to a child once, and the
    child's limits bound the two renders together."""
    return docx(doc), pdf(doc)
