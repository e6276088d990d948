"""Every setting a client can choose, described for forms: the `Param` maps of model.list and
data.list (protocol/README.md §5, "Settings").

Nothing is stated twice: each description comes from the `Setting` that also checks the value (the
models' Params fields, ModelSpec's user keys, TrainConfig, the custom layer types, each loader's
options), and `live` from train_config.LIVE_KEYS, which config.set enforces.
"""

from __future__ import annotations

from typing import Any

from vaestudio.datasets import list_datasets
from vaestudio.datasets.registry import option_settings
from vaestudio.models import MODELS
from vaestudio.models.nets import LAYER_KEYS, REQUIRED
from vaestudio.models.spec import user_settings
from vaestudio.setting import Setting, field_settings
from vaestudio.train_config import LIVE_KEYS, TrainConfig


def _params(settings: dict[str, tuple[Setting, Any]]) -> dict[str, dict[str, Any]]:
    return {key: setting.describe(None if default is REQUIRED else default)
            for key, (setting, default) in settings.items()}


def model_list() -> dict[str, Any]:
    """The model.list result: models with their hyper-parameters, the spec's user keys, every
    training key (with `live`) and the custom layer types' keys."""
    models = [{"name": cls.name, "description": cls.description, "conditional": cls.conditional,
               "params": _params(field_settings(cls.Params))} for cls in MODELS.values()]
    train = {key: {**param, "live": key in LIVE_KEYS} for key, param in _params(field_settings(TrainConfig)).items()}
    return {"models": models, "spec": _params(user_settings()), "train": train,
            "layers": {kind: _params(keys) for kind, keys in LAYER_KEYS.items()}}


def data_list() -> dict[str, Any]:
    """The data.list result: each data set as list_datasets() gives it, plus its `options`."""
    return {"datasets": [{**entry, "options": _params(option_settings(entry["name"]))} for entry in list_datasets()]}
