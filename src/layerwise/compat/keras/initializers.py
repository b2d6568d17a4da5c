"""keras.initializers under Keras's class names."""
from ...core.initializers import (Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform,  # noqa: F401
                                  LecunNormal, LecunUniform, Ones, Orthogonal, TruncatedNormal, Zeros)
from ...core.initializers import Normal as RandomNormal  # noqa: F401
