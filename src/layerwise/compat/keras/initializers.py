"""keras.initializers under Keras's class names."""
from ...core.initializers import (  # noqa: F401
                                  Constant,
                                  GlorotNormal,
                                  GlorotUniform,
                                  HeNormal,
                                  HeUniform,
                                  LecunNormal,
                                  LecunUniform,
                                  Ones,
                                  Orthogonal,
                                  TruncatedNormal,
                                  Zeros,
)
from ...core.initializers import Normal as RandomNormal  # noqa: F401
