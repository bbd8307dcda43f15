"""controls/templatetags/catalog_fragments.py: catalog text blocks rendered once per catalog revision, with nothing of
the page in them."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils.html import escape

from controls import snapshot

pytestmark = pytest.mark.django_db

LOAD = "{% load catalog_fragments %}"


class Counted:
    """A stand-in catalog item that counts how often the block reads it."""

    def __init__(self, pk: int, text: str):
        self.pk, self._text, self.reads = pk, text, 0

    @property
    def text(self) -> str:
        self.reads += 1
        return self._text


def test_the_block_sees_only_the_item_it_names():
    catalog = snapshot.current()
    requirement = catalog.requirement_by_nist_id["3.1.1"]
    template = Template(LOAD + "{% catalogfragment catalog req %}{{ req.nist_id }}|{{ secret }}|{{ assessment }}"
                               "{% endcatalogfragment %}")
    context = {"catalog": catalog, "req": requirement, "secret": "S3CRET", "assessment": "Acme's gaps"}
    assert template.render(Context(context)) == "3.1.1||"


def test_the_block_is_rendered_once_per_item_and_catalog():
    catalog = snapshot.current()
    template = Template(LOAD + "{% for item in items %}{% catalogfragment catalog item %}<p>{{ item.text }}</p>"
                               "{% endcatalogfragment %}{% endfor %}")
    first, second = Counted(1, "One & only"), Counted(2, "Two")
    items = {"catalog": catalog, "items": [first, second]}
    assert template.render(Context(items)) == "<p>One &amp; only</p><p>Two</p>"
    assert template.render(Context(items)) == "<p>One &amp; only</p><p>Two</p>"
    assert (first.reads, second.reads) == (1, 1)
    snapshot.catalog_changed()  # another catalog: rendered again
    assert template.render(Context(items | {"catalog": snapshot.current()})) == "<p>One &amp; only</p><p>Two</p>"
    assert first.reads == 2


def test_the_same_item_in_two_places_keeps_two_blocks():
    catalog = snapshot.current()
    template = Template(LOAD + "{% catalogfragment catalog r %}[{{ r.nist_id }}]{% endcatalogfragment %}"
                               "{% catalogfragment catalog r %}({{ r.cmmc_title }}){% endcatalogfragment %}")
    requirement = catalog.requirement_by_nist_id["3.1.2"]
    rendered = template.render(Context({"catalog": catalog, "r": requirement}))
    assert rendered == f"[3.1.2]({escape(requirement.cmmc_title)})"


def test_without_a_catalog_or_its_revision_the_block_is_rendered_every_time():
    template = Template(LOAD + "{% catalogfragment catalog item %}{{ item.text }}{% endcatalogfragment %}")
    item = Counted(1, "Text")
    for catalog in (None, snapshot.CatalogSnapshot(None, (), (), {}, {}, {}, {}, {})):
        template.render(Context({"catalog": catalog, "item": item}))
        template.render(Context({"catalog": catalog, "item": item}))
    assert item.reads == 4


def test_an_item_reached_through_another_is_named_with_as():
    catalog = snapshot.current()
    objective = catalog.objective_by_id["3.1.1[a]"]
    template = Template(LOAD + "{% catalogfragment catalog row.objective as objective %}{{ objective.letter }} "
                               "{{ row }}{% endcatalogfragment %}")
    assert template.render(Context({"catalog": catalog, "row": {"objective": objective}})) == "[a] "
    with pytest.raises(TemplateSyntaxError):
        Template(LOAD + "{% catalogfragment catalog row.objective %}{% endcatalogfragment %}")
    with pytest.raises(TemplateSyntaxError):
        Template(LOAD + "{% catalogfragment catalog %}{% endcatalogfragment %}")
