"""The package documents itself: every public function, method and property has a docstring
that names each of its arguments (so that help() answers), and the type stubs of the native
module list exactly its functions with their arguments."""

import ast
import inspect
import pathlib
import re

import pytest

import fulcrum
import fulcrum.ema
from fulcrum import _fulcrum

PACKAGE = pathlib.Path(fulcrum.__file__).parent


def public_members(owner):
    """The public functions, methods and properties that `owner` (a module or a class) defines
    itself, by qualified name."""
    found = {}
    for name, value in vars(owner).items():
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            found[f"{owner.__name__}.{name}"] = (value.fget, value.__doc__)
        elif name == "__init__" and inspect.isfunction(value):
            # A class's constructor is documented by the class's own docstring.
            found[f"{owner.__name__}.{name}"] = (value, owner.__doc__)
        elif inspect.isfunction(value) and value.__module__ == getattr(owner, "__module__", owner.__name__):
            found[f"{owner.__name__}.{name}"] = (value, value.__doc__)
    return found


def documented():
    members = {}
    for module in (fulcrum, fulcrum.ema):
        for name in getattr(module, "__all__", []):
            value = getattr(module, name)
            if inspect.isclass(value):
                members[f"{module.__name__}.{name}"] = (None, value.__doc__)
                members.update(public_members(value))
            elif inspect.isfunction(value):
                members[f"{module.__name__}.{name}"] = (value, value.__doc__)
    return members


MEMBERS = documented()


def test_the_public_api_is_all_listed():
    for name in ["fulcrum.load", "fulcrum.load_experiment", "fulcrum.Model", "Model.evaluate", "Model.run",
                 "Experiment.sensitivity", "fulcrum.FulcrumWarning", "fulcrum.ema.FulcrumModel",
                 "FulcrumModel.evaluate_batch", "Experiment.search", "Experiment.calibrate", "fulcrum.discover",
                 "fulcrum.prim", "fulcrum.Discovery"]:
        assert name in MEMBERS, sorted(MEMBERS)


@pytest.mark.parametrize("name", sorted(MEMBERS))
def test_every_public_member_has_a_docstring_naming_its_arguments(name):
    function, doc = MEMBERS[name]
    assert doc and doc.strip(), f"{name} has no docstring"
    if function is None:
        return
    for parameter in inspect.signature(function).parameters:
        if parameter == "self":
            continue
        assert re.search(rf"\b{re.escape(parameter)}\b", doc), f"{name}: its docstring does not name `{parameter}`"


def stub_classes():
    """The classes of _fulcrum.pyi and their methods' parameters."""
    tree = ast.parse((PACKAGE / "_fulcrum.pyi").read_text())
    classes = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods = {}
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    methods[item.name] = [a.arg for a in item.args.args if a.arg != "self"]
            classes[node.name] = methods
    return classes


@pytest.mark.parametrize("name", ["NativeModel", "NativeExperiment"])
def test_the_stubs_list_the_native_methods_with_their_arguments(name):
    stubs = stub_classes()[name]
    native = getattr(_fulcrum, name)
    methods = {m: getattr(native, m) for m in dir(native) if not m.startswith("_")}
    assert sorted(stubs) == sorted(methods)
    for method, function in methods.items():
        signature = function.__text_signature__
        arguments = [a.strip() for a in signature.strip("()").split(",") if a.strip()]
        arguments = [a.split("=")[0] for a in arguments if a not in ("$self", "$cls", "/", "*")]
        assert stubs[method] == arguments, (method, signature)


def test_the_stubs_list_the_native_functions_with_their_arguments():
    tree = ast.parse((PACKAGE / "_fulcrum.pyi").read_text())
    stubs = {node.name: [a.arg for a in node.args.args] for node in tree.body if isinstance(node, ast.FunctionDef)}
    functions = {name: value for name, value in vars(_fulcrum).items() if callable(value) and not isinstance(value, type)}
    assert sorted(stubs) == sorted(functions)
    for name, function in functions.items():
        arguments = [a.strip() for a in function.__text_signature__.strip("()").split(",") if a.strip()]
        arguments = [a.split("=")[0] for a in arguments if a not in ("$module", "/", "*")]
        assert stubs[name] == arguments, (name, function.__text_signature__)


def test_help_of_load_says_what_it_takes_and_gives():
    text = inspect.getdoc(fulcrum.load)
    for words in ["Parameters", "Returns", "Raises", "Warns", "FulcrumError", "FulcrumWarning", "changes", "data"]:
        assert words in text
