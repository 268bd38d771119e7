"""Training recipes: fine-tuning, distillation and pretraining, as a library (``sapiens2 train`` drives it).

``Trainer(load_config("recipe.yaml", ["optim.lr=1e-4"])).fit()`` is the whole loop; see docs/training.md.
"""

from .config import TrainConfig, load_config
from .trainer import Trainer, TrainResult

__all__ = ["TrainConfig", "TrainResult", "Trainer", "load_config"]
