"""autograd_mini: reverse-mode automatic differentiation you can run, see and trust.

>>> import autograd_mini as am
>>> x = am.Value(2.0, label="x")
>>> y = (x * x).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.001073
"""

from autograd_mini._engine import AnomalyError as AnomalyError
from autograd_mini._engine import Value as Value
from autograd_mini._engine import abs_ as abs
from autograd_mini._engine import detect_anomaly as detect_anomaly
from autograd_mini._engine import dot as dot
from autograd_mini._engine import exp as exp
from autograd_mini._engine import gradients as gradients
from autograd_mini._engine import log as log
from autograd_mini._engine import relu as relu
from autograd_mini._engine import sigmoid as sigmoid
from autograd_mini._engine import sqrt as sqrt
from autograd_mini._engine import sum_ as sum
from autograd_mini._engine import tanh as tanh
from autograd_mini._engine import topological_order as topological_order

__version__ = "0.1.0"
