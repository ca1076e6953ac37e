"""What the registries of strategies and stopping criteria share: the tags an
object declares, and the subclasses a family has, read the same way."""

__all__ = ["declared_tags", "iter_subclasses"]


def declared_tags(obj, default):
    """``obj.__skactive_tags__()``, or ``default()`` for an object without it.

    Examples
    --------
    >>> declared_tags(object(), dict)
    {}
    """
    method = getattr(obj, "__skactive_tags__", None)
    return method() if callable(method) else default()


def iter_subclasses(cls):
    """Every subclass of ``cls``, at any depth, each class after its parent.

    Examples
    --------
    >>> class A: pass
    >>> class B(A): pass
    >>> class C(B): pass
    >>> [c.__name__ for c in iter_subclasses(A)]
    ['B', 'C']
    """
    for sub in cls.__subclasses__():
        yield sub
        yield from iter_subclasses(sub)
