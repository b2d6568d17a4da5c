"""The one compiled part: layerwise.core._lanes (the step program's two lanes, C + pthreads).

Optional: where it cannot be built (no C compiler, no pthreads), layerwise installs without it
and runs the same blocks one after the other through NumPy (same results, one core).
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("layerwise.core._lanes", ["src/layerwise/core/_lanes.c"],
                             extra_compile_args=["-O2"], optional=True)])
