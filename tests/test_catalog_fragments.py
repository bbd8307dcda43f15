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


def test_a_selection_is_kept_by_its_requirements_and_the_catalog_is_there_for_the_rows_inside():
    catalog = snapshot.current()
    template = Template(LOAD + "{% catalogfragment catalog selection %}{{ secret }}"
                               "{% for r in selection.requirements %}"
                               "{% catalogfragment catalog r %}{{ r.nist_id }} {% endcatalogfragment %}"
                               "{% endfor %}{% endcatalogfragment %}")
    ac = tuple(r for r in catalog.requirements if r.family.code == "AC")[:2]
    at = tuple(r for r in catalog.requirements if r.family.code == "AT")[:1]
    kept = snapshot.Selection(ac, kept=True)
    assert template.render(Context({"catalog": catalog, "selection": kept, "secret": "S3CRET"})) == "3.1.1 3.1.2 "
    assert ("fragment", template.nodelist[1], "Selection", (ac[0].pk, ac[1].pk)) in catalog._memo
    # Another selection is another block, never the first one's.
    assert template.render(Context({"catalog": catalog, "selection": snapshot.Selection(at, kept=True)})) == "3.2.1 "


def test_a_selection_not_to_be_kept_is_rendered_every_time():
    catalog = snapshot.current()
    template = Template(LOAD + "{% catalogfragment catalog selection %}{% for r in selection.requirements %}"
                               "{{ r.text }}{% endfor %}{% endcatalogfragment %}")
    item = Counted(1, "Found")
    searched = snapshot.Selection((item,), kept=False)
    assert searched.pk is None
    for _ in range(2):
        assert template.render(Context({"catalog": catalog, "selection": searched})) == "Found"
    assert item.reads == 2
    assert not any(isinstance(key, tuple) and template.nodelist[1] in key for key in catalog._memo)
