"""The registry: a bare ``@register`` infers the kind, and a built-in name is never replaced by
accident (a user class named like a built-in would break every later load of a file using it)."""
import numpy as np
import pytest

import layerwise as lw
from layerwise import registry
from layerwise.errors import ConfigError


@pytest.fixture
def clean_registry():
    saved = ({k: dict(v) for k, v in registry._entries.items()},
             {k: dict(v) for k, v in registry._canonical.items()})
    yield
    for store, copy in zip((registry._entries, registry._canonical), saved):
        store.clear()
        store.update(copy)


def test_a_user_class_named_like_a_built_in_is_refused(clean_registry, tmp_path):
    with pytest.raises(ConfigError, match="'Dense' is a built-in layer type.*override=True"):
        @lw.register("layer")
        class Dense(lw.Layer):
            pass

    with pytest.raises(ConfigError, match="'relu' is a built-in activation"):
        registry.register("activation", type("Mine", (lw.activations.ActivationFunction,), {}), name="relu")
    with pytest.raises(ConfigError, match="'sgd' is a built-in optimizer"):  # an alias or a name alike
        registry.register("optimizer", type("Fast", (lw.Adam,), {}), name="SGD")

    # the built-in still works: a model using Dense saves and loads
    model = lw.Sequential([lw.Dense(3, "softmax")], input_shape=(4,), seed=0)
    model.save(tmp_path / "m.lwm")
    assert type(lw.load(tmp_path / "m.lwm").layers[0]) is lw.Dense


def test_override_replaces_a_built_in_on_purpose(clean_registry):
    class Dense(lw.Dense):
        pass

    lw.register("layer", Dense, override=True)
    assert registry.lookup("layer", "Dense") is Dense


def test_a_users_own_name_may_be_registered_again(clean_registry):
    for _ in range(2):  # a notebook cell run twice
        @lw.register("layer")
        class Scale(lw.Layer):
            pass
    assert registry.lookup("layer", "Scale") is Scale


@pytest.mark.parametrize("base, kind", [
    (lw.Layer, "layer"), (lw.losses.Loss, "loss"), (lw.activations.ActivationFunction, "activation"),
    (lw.Adam, "optimizer"), (lw.callbacks.Callback, "callback"), (lw.metrics.Metric, "metric"),
    (lw.initializers.Initializer, "initializer"), (lw.regularizers.Regularizer, "regularizer"),
])
def test_a_bare_register_infers_the_kind_from_the_base_class(clean_registry, base, kind):
    cls = type(f"Custom{kind.title()}", (base,), {"name": f"custom_{kind}"})
    assert lw.register(cls) is cls
    key = cls.__name__ if kind in ("layer", "callback") else f"custom_{kind}"
    assert registry.lookup(kind, key) is cls


def test_a_bare_register_of_something_unknown_says_what_to_do(clean_registry):
    with pytest.raises(ConfigError, match="cannot tell what kind.*Thing.*subclass one of"):
        @lw.register
        class Thing:
            pass


def test_a_bare_registered_layer_round_trips(clean_registry, tmp_path):
    @lw.register
    class Twice(lw.Layer):
        def forward(self, x, training=False):
            return 2 * x

        def backward(self, dy, need_dx=True):
            return 2 * dy

    model = lw.Sequential([Twice(), lw.Dense(2, "softmax")], input_shape=(3,), seed=0)
    model.save(tmp_path / "t.lwm")
    back = lw.load(tmp_path / "t.lwm")
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


def test_a_layer_class_named_like_a_built_in_is_refused_under_any_name(clean_registry):
    """Configs store the class name: a user's ``Dense`` registered as "DoubledDense" would be saved
    as "Dense" and load as the built-in."""
    with pytest.raises(ConfigError, match="would be saved as 'Dense'.*rename the class"):
        @lw.register("layer", name="DoubledDense")
        class Dense(lw.Dense):
            pass


def test_a_layer_registered_under_another_name_loads_by_its_class_name(clean_registry, tmp_path):
    @lw.register("layer", name="Foo")
    class Bar(lw.Layer):
        def forward(self, x, training=False):
            return 3 * x

        def backward(self, dy, need_dx=True):
            return 3 * dy

    model = lw.Sequential([Bar(), lw.Dense(2, "softmax")], input_shape=(3,), seed=0)
    model.save(tmp_path / "b.lwm")
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(lw.load(tmp_path / "b.lwm").predict(x), model.predict(x))
    assert registry.lookup("layer", "Foo") is Bar


def test_a_bare_register_of_a_model_subclass_infers_model(clean_registry):
    @lw.register
    class MyModel(lw.Sequential):
        pass
    assert registry.lookup("model", "MyModel") is MyModel


def test_auto_initializer_follows_the_activation_class():
    from layerwise.app.build import auto_initializer
    assert [auto_initializer(n) for n in ("relu", "silu", "selu", "tanh")] == \
        ["he_normal", "he_normal", "lecun_normal", "glorot_uniform"]

    class Wide(lw.activations.ReLU):
        preferred_initializer = "orthogonal"
    assert auto_initializer(Wide()) == "orthogonal"
