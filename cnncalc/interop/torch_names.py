"""Python identifiers for the generated code: attributes, locals and class names, never clashing."""

from __future__ import annotations

import keyword
import re

from cnncalc.errors import printable

# Attributes of torch.nn.Module (torch 2.x) a layer may not be named after; checked
# against dir(nn.Module) in the tests.
MODULE_ATTRIBUTES = frozenset(
    """T_destination add_module apply bfloat16 buffers call_super_init children compile cpu
    cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state
    get_parameter get_submodule half ipu load_state_dict modules mtia named_buffers
    named_children named_modules named_parameters parameters register_backward_hook
    register_buffer register_forward_hook register_forward_pre_hook
    register_full_backward_hook register_full_backward_pre_hook
    register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module
    register_parameter register_state_dict_post_hook register_state_dict_pre_hook
    requires_grad_ set_extra_state set_submodule share_memory state_dict to to_empty train
    training type xpu zero_grad""".split()
)
# Names the generated code itself uses: its imports, and the helper modules it may define
# (torch_kinds.HELPERS), which no network or block class may take.
RESERVED = frozenset(
    {"self", "torch", "nn", "F", "Tensor", "super"}
    | {"Attention", "LayerScale", "Param", "PatchMerging", "Standardize"}
)


def inert(text: str) -> str:
    """Text from the file as it may stand in a docstring or comment of the generated code.

    The exported module is imported, and names come from pull requests: control
    characters, line breaks and NUL become visible escapes, and backslashes and quotes
    are escaped, so no name can close the docstring or start a statement. Every piece
    of user text that reaches generated code goes through here or ``repr``.
    """
    return printable(text).replace("\\", "\\\\").replace('"', '\\"')


def identifier(text: str) -> str:
    """A Python identifier as close to ``text`` as possible: other characters become ``_``."""
    out = re.sub(r"\W", "_", text, flags=re.ASCII)
    if not out or out[0].isdigit():
        out = "_" + out
    return out


class Names:
    """Allocates unique, valid identifiers in one scope."""

    def __init__(self, reserved: frozenset[str] = frozenset()) -> None:
        self.reserved = reserved
        self.taken: set[str] = set(reserved)

    def claim(self, wanted: str, sep: str = "_") -> str:
        """``class`` → ``class_``, ``conv-1`` → ``conv_1``, a second ``conv_1`` → ``conv_1_2``,
        ``_modules`` → ``layer_modules``."""
        base = identifier(wanted)
        if base[:1] == "_" and not base[1:2].isdigit():
            base = "layer" + base  # nn.Module keeps its internals there: _modules, __call__
        if (
            keyword.iskeyword(base)
            or keyword.issoftkeyword(base)
            or base in MODULE_ATTRIBUTES
            or base in self.reserved
        ):
            base += "_"
        name, k = base, 1
        while name in self.taken:
            k += 1
            name = f"{base}{sep}{k}"
        self.taken.add(name)
        return name


def class_name(text: str) -> str:
    """``mobilenet_v2`` → ``MobilenetV2``: CapWords, as PEP 8 names classes."""
    parts = [p for p in re.split(r"[\W_]+", text, flags=re.ASCII) if p]
    name = "".join(p[0].upper() + p[1:] for p in parts) or "Network"
    return identifier(name)
