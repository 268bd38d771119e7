"""Training recipes: fine-tuning, distillation and pretraining, as a library (``sapiens2 train`` drives it)."""
