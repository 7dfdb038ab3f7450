"""The product's form classes, found by walking the subclasses of its base forms."""

from __future__ import annotations

import importlib
import pkgutil

import market


def product_forms(*bases: type) -> list[type]:
    """Every class below ``bases`` (and each base itself) that the product defines: the
    product's modules are imported first, so each of its forms exists; a test module's own
    form classes, imported into the same process by the whole suite's collection, are not the
    product's."""
    for module in pkgutil.walk_packages(market.__path__, "market."):
        importlib.import_module(module.name)
    found, todo = [], list(bases)
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("market."):
            found.append(cls)
    return found
