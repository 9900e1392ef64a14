"""Training and inference memory of a network: what autograd keeps, peaks, the largest batch.

Every figure is an exact count of bytes. The tensors autograd keeps for backward come
from each layer kind's ``saved`` rule (measured on torch); this module follows which
tensor each rule names (an input, the result before a fused activation, the output, or
a tensor of the layer's own) so that a tensor kept by two layers counts once, and
follows views (a flatten that torch does not copy) to the memory they share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cnncalc.engine.walk import Analysis, LayerResult
from cnncalc.errors import CnnCalcError
from cnncalc.layers.base import FUSED_PARAMS, Effect, Saved, lookup
from cnncalc.symbolic.arith import is_int, product

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2}
# Optimizer states per trainable parameter; Adam's also hold a float32 step counter per tensor.
OPTIMIZER_STATES = {"none": 0, "sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}
STEP_COUNTERS = ("adam", "adamw")
FLOAT32 = 4


@dataclass(frozen=True)
class Settings:
    """What the memory depends on besides the network."""

    batch: int = 1
    dtype: str = "float32"
    device: str = "cuda"
    optimizer: str = "adam"
    mixed_precision: bool = False

    @property
    def itemsize(self) -> int:
        return DTYPE_BYTES[self.dtype]


@dataclass(slots=True)
class LayerMemory:
    name: str
    saved_bytes: int  # kept for backward, first kept by this layer
    output_bytes: int  # new memory for the output (0 for a view of its input)
    live_bytes: int  # inference: every live activation while this layer runs


@dataclass
class Memory:
    """One network's memory at one batch size, dtype, device and optimizer."""

    name: str
    settings: Settings
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    saved_bytes: int
    inference_peak_bytes: int
    inference_peak_layer: str
    backward_bytes: int  # the largest transient of the backward pass
    backward_layer: str
    layers: list[LayerMemory] = field(default_factory=list)

    @property
    def training_peak_bytes(self) -> int:
        return (
            self.weights_bytes
            + self.gradients_bytes
            + self.optimizer_bytes
            + self.saved_bytes
            + self.backward_bytes
        )


def execution_order(layers: Sequence[LayerResult]) -> list[LayerResult]:
    """File order, except that a layer runs after the layers it reads (the export's order):
    of the layers ready to run, the one written first."""
    import heapq

    index = {r.name: i for i, r in enumerate(layers)}
    waiting = [0] * len(layers)
    users: list[list[int]] = [[] for _ in layers]
    for i, r in enumerate(layers):
        for n in r.inputs:
            if n in index:
                waiting[i] += 1
                users[index[n]].append(i)
    ready = [i for i, w in enumerate(waiting) if w == 0]
    heapq.heapify(ready)
    out = []
    while ready:
        i = heapq.heappop(ready)
        out.append(layers[i])
        for u in users[i]:
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, u)
    return out


def require_numbers(a: Analysis) -> None:
    symbols = sorted(
        {str(s) for shape in a.network.inputs.values() for s in shape if not is_int(s)}
    )
    if symbols or a.layers and any(not is_int(v) for r in a.layers for v in r.shape):
        raise CnnCalcError(
            "memory needs sizes that are numbers; give "
            + ", ".join(symbols or ["the sizes"])
            + " a value with --set (several values: --set H=224,320)",
            network=a.network.name,
            key="--set",
        )


def activation_saved(r: LayerResult, device: str) -> tuple[Saved, ...]:
    """The fused activation's rule, read from its own kind."""
    kind = r.node.activation
    if kind is None:
        return ()
    found = lookup(kind)
    assert found is not None
    act = found[0]()
    return act.saved((r.shape,), Effect(shape=r.shape), device)


def layer_saved(
    a: Analysis, r: LayerResult, device: str
) -> tuple[tuple[Saved, ...], tuple[Saved, ...]]:
    """The layer's rule and its fused activation's; a kind without one is an error here."""
    try:
        return r.node.layer.saved(r.input_shapes, r.effect, device), activation_saved(r, device)
    except CnnCalcError as error:
        net = a.network
        raise error.within(
            file=net.file, line=r.node.line, network=net.name, layer=r.name
        ) from None


def measure(a: Analysis, s: Settings) -> Memory:
    """Every figure of the memory report for one network, exactly."""
    require_numbers(a)
    b, size = s.batch, s.itemsize
    order = execution_order(a.layers)
    storage = storages(order, list(a.network.inputs), training=True)
    nbytes: dict[str, int] = {
        name: product(shape) * b * size for name, shape in a.network.inputs.items()
    }
    nbytes.update({r.name: product(r.shape) * b * size for r in order})
    grad: dict[str, bool] = dict.fromkeys(a.network.inputs, False)
    kept: set[str] = set()
    saved_by: dict[str, int] = {}
    backward, backward_layer = 0, ""
    fresh = 0
    for r in order:
        slopes = FUSED_PARAMS.get(r.node.activation or "", 0)  # a fused PReLU's weights
        valued = r.inputs[: r.node.layer.value_inputs]  # not crop's to: it gives a size
        needs = any(grad[n] for n in valued) or r.effect.params - slopes > 0
        grad[r.name] = needs or slopes > 0
        total = 0
        core, act = layer_saved(a, r, s.device)
        if grad[r.name]:
            core_id = storage[r.name]
            if act:  # the result before the activation: a tensor of its own
                core_id = f"{r.name}\0core"
                nbytes[core_id] = product(r.shape) * b * size
            named = [(x, None) for x in core if needs] + [(x, core_id) for x in act]
            for x, act_input in named:
                if x.needs and not any(grad[r.inputs[k]] for k in x.needs):
                    continue
                if x.of == "new" or x.copied_from_batch and b >= x.copied_from_batch:
                    fresh += 1
                    key = f"\0new{fresh}"
                    if x.of == "new":
                        nbytes[key] = (x.per_sample * b + x.fixed) * (x.itemsize or size)
                    else:
                        nbytes[key] = product(r.input_shapes[x.index]) * b * size
                elif x.of == "input":
                    key = act_input or storage[r.inputs[x.index]]
                elif x.of == "core":
                    key = core_id
                else:
                    key = storage[r.name]
                if key not in kept:
                    kept.add(key)
                    total += nbytes[key]
            gradients = product(r.shape) * b * size + sum(
                product(shape) * b * size
                for n, shape in zip(valued, r.input_shapes, strict=False)
                if grad[n]
            )
            if gradients > backward:
                backward, backward_layer = gradients, r.name
        saved_by[r.name] = total
    running = storages(order, list(a.network.inputs), training=False)
    live, peak, peak_layer = inference_live(a, order, running, nbytes)
    layers = [
        LayerMemory(
            r.name,
            saved_by[r.name],
            0 if running[r.name] != r.name else nbytes[r.name],
            live[r.name],
        )
        for r in a.layers
    ]
    weights, gradients, optimizer = parameter_bytes(a, s)
    return Memory(
        a.network.name,
        s,
        weights,
        gradients,
        optimizer,
        sum(saved_by.values()),
        peak,
        peak_layer,
        backward,
        backward_layer,
        layers,
    )


def storages(order: Sequence[LayerResult], inputs: list[str], training: bool) -> dict[str, str]:
    """Each tensor's memory: its own, or for a view the memory of the tensor it views."""
    storage = {name: name for name in inputs}
    for r in order:
        view = r.node.layer.aliases(r.input_shapes, r.effect, training)
        storage[r.name] = storage[r.inputs[0]] if view else r.name
    return storage


def inference_live(
    a: Analysis, order: Sequence[LayerResult], storage: dict[str, str], nbytes: dict[str, int]
) -> tuple[dict[str, int], int, str]:
    """Run the layers in order, freeing each tensor after its last reader: the bytes live
    while each layer runs (its inputs and its output together), and the largest."""
    last: dict[str, int] = {}
    for i, r in enumerate(order):
        for n in r.inputs:
            last[storage[n]] = i
    end = len(order)
    for name in a.outputs:
        last[storage[name]] = end  # the network's outputs are kept
    live: dict[str, int] = {}
    alive = {storage[name] for name in a.network.inputs}
    peak, peak_layer = 0, ""
    for i, r in enumerate(order):
        alive.add(storage[r.name])
        now = sum(nbytes[t] for t in alive)
        live[r.name] = now
        if now > peak:
            peak, peak_layer = now, r.name
        alive = {t for t in alive if last.get(t, -1) > i}
    return live, peak, peak_layer


def parameter_bytes(a: Analysis, s: Settings) -> tuple[int, int, int]:
    """Weights (every stored number), gradients (the trainable ones), optimizer states.

    Under mixed precision the states are float32 and a float32 master copy of the
    trainable weights is kept beside them (counted with the optimizer).
    """
    t = a.totals
    size = s.itemsize
    weights, trainable = t.params * size, t.trainable_params
    state = FLOAT32 if s.mixed_precision else size
    optimizer = OPTIMIZER_STATES[s.optimizer] * trainable * state
    if s.mixed_precision:
        optimizer += trainable * FLOAT32
    if s.optimizer in STEP_COUNTERS:
        tensors = sum(  # a fused PReLU has a weight tensor of its own
            r.node.layer.weight_tensors() + (r.node.activation in FUSED_PARAMS)
            for r in a.layers
            if r.shared_from is None
        )
        optimizer += tensors * FLOAT32
    return weights, trainable * size, optimizer


def affine(a: Analysis, s: Settings) -> tuple[tuple[int, int], tuple[int, int]]:
    """(fixed, per sample) bytes of the training and of the inference peak, from batch 2 on.

    Every tensor's size is a multiple of the batch but the per-channel statistics and the
    weights, which do not grow with it, so both peaks are affine in the batch. (Batch 1
    may keep less: torch folds one sample's channels into rows without a copy.)
    """
    two, three = measure(a, replace(s, 2)), measure(a, replace(s, 3))
    t2, t3 = two.training_peak_bytes, three.training_peak_bytes
    i2, i3 = two.inference_peak_bytes, three.inference_peak_bytes
    return (3 * t2 - 2 * t3, t3 - t2), (3 * i2 - 2 * i3, i3 - i2)


def replace(s: Settings, batch: int) -> Settings:
    return Settings(batch, s.dtype, s.device, s.optimizer, s.mixed_precision)


def largest_batch(
    a: Analysis, s: Settings, budget: int, line: tuple[int, int], training: bool
) -> int:
    """The largest batch whose peak, ``fixed + per_sample * batch``, fits ``budget`` bytes
    (0: not even one sample)."""
    fixed, per = line

    def peak(n: int) -> int:
        m = measure(a, replace(s, n))
        return m.training_peak_bytes if training else m.inference_peak_bytes

    batch = (budget - fixed) // per if per > 0 else 0
    if batch < 2:
        return 1 if peak(1) <= budget else 0
    while batch > 1 and peak(batch) > budget:  # the affine form is exact; this only checks
        batch -= 1
    return batch


@dataclass(frozen=True)
class Fit:
    budget: int
    training_batch: int
    inference_batch: int


def fit(a: Analysis, s: Settings, budget: int) -> Fit:
    """The largest batches for training and for inference, solved from the affine form."""
    train, infer = affine(a, s)
    return Fit(
        budget,
        largest_batch(a, s, budget, train, True),
        largest_batch(a, s, budget, infer, False),
    )


UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def parse_budget(text: str) -> int:
    """'24GiB' → 25,769,803,776; 'GB' is 10**9 bytes, 'GiB' 2**30; a plain number is bytes."""
    raw = text.strip().replace("_", "").replace(",", "")
    digits = len(raw) - len(raw.lstrip("0123456789."))
    number, unit = raw[:digits], raw[digits:].strip().lower()
    try:
        from fractions import Fraction

        value = Fraction(number) * UNITS[unit] if number and number.count(".") <= 1 else None
    except (KeyError, ValueError, ZeroDivisionError):
        value = None
    if value is None or value <= 0 or len(raw) > 40:
        raise CnnCalcError(
            f"cannot read the budget '{text}'; expected a size such as 24GiB, 16GB, "
            "512MiB or a number of bytes",
            key="--fit",
        )
    return int(value)
