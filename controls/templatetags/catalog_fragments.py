"""``{% catalogfragment catalog req %}...{% endcatalogfragment %}`` (or ``catalog o.objective as objective``): markup
made only of catalog text (a requirement's title and text, its objectives), rendered once per catalog revision and
process.

``catalog`` is a ``controls.snapshot.CatalogSnapshot`` (the view puts it in the context) and ``req`` a requirement
or objective from it, or a ``controls.snapshot.Selection`` of requirements. The block is rendered with that one
variable and the catalog (as ``catalog``) in its context and nothing else, so it cannot show anything of the page's
assessment or user, even by mistake: such a variable renders empty. The markup is kept with the catalog
(``CatalogSnapshot.memo``), so it is dropped with it when the catalog changes. Without a catalog in the context, on a
catalog read for one request only (no revision yet), or for an item without a ``pk`` (a selection that is not to be
kept), the block is rendered every time.
"""

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.utils.safestring import SafeString

from controls.snapshot import CatalogSnapshot

register = template.Library()


class CatalogFragmentNode(template.Node):
    def __init__(self, nodelist: NodeList, catalog: FilterExpression, item: FilterExpression, name: str):
        self.nodelist, self.catalog, self.item, self.name = nodelist, catalog, item, name

    def _render(self, context: Context, catalog: object, item: object) -> SafeString:
        with context.render_context.push():
            return self.nodelist.render(context.new({self.name: item, "catalog": catalog}))

    def render(self, context: Context) -> SafeString:
        catalog = self.catalog.resolve(context)
        item = self.item.resolve(context)
        if not isinstance(catalog, CatalogSnapshot) or catalog.token is None or getattr(item, "pk", None) is None:
            return self._render(context, catalog, item)
        # Keyed by this node (one per place in a template) and the item: the same text block in every request.
        return catalog.memo(("fragment", self, type(item).__name__, item.pk),
                            lambda: self._render(context, catalog, item))


@register.tag
def catalogfragment(parser: Parser, token: Token) -> CatalogFragmentNode:
    bits = token.split_contents()
    if len(bits) == 5 and bits[3] == "as":
        name = bits[4]
    elif len(bits) == 3:
        name = bits[2]
    else:
        raise template.TemplateSyntaxError(f"{bits[0]} takes a catalog and a requirement or objective variable")
    if not name.isidentifier():
        raise template.TemplateSyntaxError(f"{bits[0]}: name the item with 'as', e.g. 'o.objective as objective'")
    nodelist = parser.parse(("endcatalogfragment",))
    parser.delete_first_token()
    return CatalogFragmentNode(nodelist, parser.compile_filter(bits[1]), parser.compile_filter(bits[2]), name)
