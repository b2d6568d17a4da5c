"""keras.optimizers with Keras's arguments and defaults (``lr`` accepted as in older Keras)."""
from ...errors import ConfigError
from ...optim import optimizers as O
from ._common import refuse


def _opt_args(learning_rate, lr, kwargs, name):
    if lr is not None:
        learning_rate = lr
    out = {"learning_rate": learning_rate}
    for key in ("clipnorm", "clipvalue", "global_clipnorm"):
        if kwargs.get(key) is not None:
            out[key] = kwargs.pop(key)
    wd = kwargs.pop("weight_decay", None)
    if wd:
        out["weight_decay"] = wd
    for ignored in ("name", "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                    "gradient_accumulation_steps", "jit_compile"):
        kwargs.pop(ignored, None)
    if kwargs:
        raise ConfigError(f"{name}: unsupported argument(s) {', '.join(sorted(kwargs))}")
    return out


def SGD(learning_rate=0.01, momentum=0.0, nesterov=False, lr=None, **kwargs):
    return O.SGD(momentum=momentum, nesterov=nesterov, **_opt_args(learning_rate, lr, kwargs, "SGD"))


def Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, lr=None, **kwargs):
    if amsgrad:
        refuse("Adam(amsgrad=True)")
    return O.Adam(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **_opt_args(learning_rate, lr, kwargs, "Adam"))


def AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
          lr=None, **kwargs):
    if amsgrad:
        refuse("AdamW(amsgrad=True)")
    args = _opt_args(learning_rate, lr, kwargs, "AdamW")
    return O.AdamW(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, weight_decay=weight_decay, **args)


def RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, lr=None, **kwargs):
    if momentum or centered:
        refuse("RMSprop(momentum/centered)")
    return O.RMSProp(rho=rho, epsilon=epsilon, **_opt_args(learning_rate, lr, kwargs, "RMSprop"))


def Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, lr=None, **kwargs):
    return O.AdaGrad(initial_accumulator_value=initial_accumulator_value, epsilon=epsilon,
                     **_opt_args(learning_rate, lr, kwargs, "Adagrad"))


def Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, lr=None, **kwargs):
    return O.Nadam(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **_opt_args(learning_rate, lr, kwargs, "Nadam"))


def Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, lr=None, **kwargs):
    return O.Adamax(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **_opt_args(learning_rate, lr, kwargs, "Adamax"))
