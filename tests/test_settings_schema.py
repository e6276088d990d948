"""Self-describing settings (protocol/README.md §5.5): every setting model.list and data.list offer has
a type, a default, a help sentence and its range, and the range stated is the range enforced: the
bound is accepted, a value just past it is refused by the same check run.new and config.set use."""

import json
import math

import numpy as np
import pytest

from support.schema import SCHEMA, check_fields, check_result
from vaestudio.client import RemoteError
from vaestudio.datasets import REGISTRY, DataError, dataset_options, load_dataset
from vaestudio.datasets.options import check_option
from vaestudio.datasets.registry import option_settings
from vaestudio.errors import ConfigError
from vaestudio.models import MODELS, ModelSpec, validate_spec
from vaestudio.models.nets import LAYER_KEYS, check_layer_specs
from vaestudio.setting import TYPES
from vaestudio.settings_schema import data_list, model_list
from vaestudio.train_config import LIVE_KEYS, TrainConfig

MODELS_LISTED = model_list()
DATA_LISTED = {d["name"]: d for d in data_list()["datasets"]}
SPEC_KEYS = ["latent_dim", "arch", "hidden", "channels", "encoder", "decoder", "obs_sigma"]


def assert_param(param: dict, where: str) -> None:
    """A Param as §5.5 states it: a known type, a one-sentence help, bounds and choices that fit."""
    fields = {k: v for k, v in SCHEMA["param"]["fields"].items() if k != "default"}  # default: any type
    assert not check_fields(param, {"fields": fields, "optional": SCHEMA["param"]["optional"]}, where)
    assert set(param) <= set(SCHEMA["param"]["fields"]), where
    assert param["type"] in TYPES, where
    assert param["help"][:1].isupper() and param["help"].endswith(".") and len(param["help"]) > 15, where
    if param["type"] == "choice":
        assert param["choices"], where
        assert param["default"] in param["choices"] or (param["default"] is None and param.get("nullable")), where
    if param["type"] in ("int", "float") and param["default"] is not None:
        assert param.get("min", -math.inf) <= param["default"] <= param.get("max", math.inf), where
    if param["type"] in ("int", "float", "int_list", "size"):  # a typed client reads ints and floats apart
        kind = float if param["type"] == "float" else int
        values = [param.get("min"), param.get("max"), *([param["default"]] if param["type"] in ("int", "float") else [])]
        assert all(type(v) is kind for v in values if v is not None), where
    if param["default"] is None:
        assert param.get("nullable") or param.get("required"), f"{where}: a nil default must be nullable or required"


def past(param: dict, bound: str):
    """A value just past `bound` ("min" or "max") of a numeric Param; for an exclusive one the bound."""
    b = param[bound]
    if param.get("exclusive"):
        return b
    if param["type"] == "int":
        return b + 1 if bound == "max" else b - 1
    return math.nextafter(b, math.inf if bound == "max" else -math.inf)


def bounded(params: dict) -> list[tuple[str, str]]:
    return [(key, bound) for key, p in params.items() if p["type"] in ("int", "float") for bound in ("min", "max")
            if bound in p]


# ----- model.list ---------------------------------------------------------------------------------------
def test_model_list_has_the_contract_shape_and_travels_as_json(client):
    listed = client.call("model.list")
    assert not check_result("model.list", listed)
    assert set(listed) == {"models", "spec", "train", "layers"}
    assert listed == json.loads(json.dumps(MODELS_LISTED))  # what the wire carries is the module's answer
    assert [m["name"] for m in listed["models"]] == list(MODELS)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_variant_hyper_parameter_is_described_and_its_defaults_validate(name):
    entry = next(m for m in MODELS_LISTED["models"] if m["name"] == name)
    defaults = MODELS[name].param_defaults()
    assert list(entry["params"]) == list(defaults)
    for key, param in entry["params"].items():
        assert_param(param, f"{name}.{key}")
        assert param["default"] == defaults[key]
    assert MODELS[name].check_params({key: p["default"] for key, p in entry["params"].items()}) == defaults


@pytest.mark.parametrize("name", [m["name"] for m in MODELS_LISTED["models"] if m["params"]])
def test_variant_ranges_are_the_ranges_enforced(name):
    params = next(m for m in MODELS_LISTED["models"] if m["name"] == name)["params"]
    for key, bound in bounded(params):
        MODELS[name].check_params({key: params[key][bound]})  # the bound itself is accepted
        with pytest.raises(ConfigError, match=f"model '{name}': parameter '{key}' must be"):
            MODELS[name].check_params({key: past(params[key], bound)})
    for key, p in params.items():
        if p["type"] == "choice":
            for value in p["choices"]:
                MODELS[name].check_params({key: value})
            with pytest.raises(ConfigError, match=f"parameter '{key}' must be one of"):
                MODELS[name].check_params({key: "nonsense"})


def test_the_spec_keys_a_user_chooses_are_described_and_enforced():
    spec = MODELS_LISTED["spec"]
    assert list(spec) == SPEC_KEYS
    for key, param in spec.items():
        assert_param(param, f"spec.{key}")
        assert param["default"] == json.loads(json.dumps(ModelSpec().to_dict()[key]))
    assert spec["arch"]["choices"] == ["mlp", "conv", "custom"]
    assert spec["encoder"]["type"] == spec["decoder"]["type"] == "layers"
    for key, bound in bounded(spec):
        validate_spec(ModelSpec(**{key: spec[key][bound]}))
        with pytest.raises(ConfigError, match=f"{key} must be"):
            validate_spec(ModelSpec(**{key: past(spec[key], bound)}))
    for key in ("hidden", "channels"):  # int_list: min and max hold for each element
        validate_spec(ModelSpec(**{key: (spec[key]["min"], spec[key]["max"])}))
        for bound in ("min", "max"):
            with pytest.raises(ConfigError, match=f"{key} must be an integer from {spec[key]['min']} to"):
                validate_spec(ModelSpec(**{key: (8, past(spec[key], bound))}))


def test_every_training_key_is_described_with_live_as_config_set_enforces_it():
    train = MODELS_LISTED["train"]
    assert list(train) == list(TrainConfig().to_dict())
    assert [k for k, p in train.items() if p["live"]] == sorted(LIVE_KEYS, key=list(train).index)
    # what config.set takes (protocol/README.md §5) and only that is live
    assert set(LIVE_KEYS) == {"lr", "beta", "batch_size", "free_bits", "grad_clip", "kl_warmup", "warmup_steps",
                              "schedule", "schedule_steps", "step_every", "step_gamma", "eval_every"}
    for key, param in train.items():
        assert_param(param, f"train.{key}")
        assert param["default"] == getattr(TrainConfig(), key)
    for key, bound in bounded(train):
        TrainConfig.from_dict({key: train[key][bound]})
        with pytest.raises(ConfigError, match=f"{key} must be"):
            TrainConfig.from_dict({key: past(train[key], bound)})
    for key in ("optimizer", "schedule", "kl_warmup", "device"):
        assert train[key]["type"] == "choice"
        with pytest.raises(ConfigError, match=f"{key} must be one of"):
            TrainConfig.from_dict({key: "nonsense"})


def test_live_keys_change_while_training_and_the_others_are_refused_by_config_set(client):
    client.call("train.start")
    train = client.call("model.list")["train"]
    live = {k: p["min"] if "min" in p else p["choices"][-1] for k, p in train.items() if p["live"]}
    config = client.call("config.set", live)["config"]
    assert {k: config[k] for k in live} == live
    for key in (k for k, p in train.items() if not p["live"]):
        with pytest.raises(RemoteError, match=f"unknown argument\\(s\\) \\['{key}'\\]"):
            client.call("config.set", {key: train[key]["default"]})
    assert client.call("status")["state"] == "training"


def test_custom_layer_types_are_described_and_enforced():
    layers = MODELS_LISTED["layers"]
    assert list(layers) == list(LAYER_KEYS)
    for kind, keys in layers.items():
        required = {k: (p["min"] if p["type"] == "int" else [p["min"]]) for k, p in keys.items() if p.get("required")}
        assert check_layer_specs([{"type": kind, **required}], "encoder")[0] == {
            "type": kind, **{k: required.get(k, p["default"]) for k, p in keys.items()}}
        for key, param in keys.items():
            assert_param(param, f"layers.{kind}.{key}")
            if param.get("required"):
                with pytest.raises(ConfigError, match=f"encoder layer 0 \\({kind}\\): missing key '{key}'"):
                    check_layer_specs([{"type": kind}], "encoder")
        for key, bound in bounded(keys):
            with pytest.raises(ConfigError, match=f"encoder layer 0 \\({kind}\\): '{key}' must be"):
                check_layer_specs([{"type": kind, **required, key: past(keys[key], bound)}], "encoder")
    assert layers["unflatten"]["shape"]["min_items"] == 1 and layers["unflatten"]["shape"]["max_items"] == 3
    with pytest.raises(ConfigError, match="must be a list of 1 to 3 integers"):
        check_layer_specs([{"type": "unflatten", "shape": [1, 2, 2, 2]}], "decoder")


# ----- data.list ----------------------------------------------------------------------------------------
def test_data_list_gives_each_data_set_its_options(client):
    listed = client.call("data.list")
    assert not check_result("data.list", listed)
    assert listed == json.loads(json.dumps(data_list()))
    for d in listed["datasets"]:
        assert list(d["options"]) == list(dataset_options(d["name"])), d["name"]
        for key, param in d["options"].items():
            assert_param(param, f"{d['name']}.{key}")
            default = dataset_options(d["name"])[key]
            assert param["default"] == (list(default) if isinstance(default, tuple) else default)
    assert DATA_LISTED["file"]["options"]["path"]["required"] and DATA_LISTED["file"]["options"]["path"]["type"] == "path"
    assert DATA_LISTED["digits"]["options"]["exclude_labels"]["type"] == "label_list"
    assert "exclude_labels" not in DATA_LISTED["swiss_roll"]["options"]  # it has no labels
    assert DATA_LISTED["file"]["options"]["resize"] == {**DATA_LISTED["file"]["options"]["resize"], "type": "size",
                                                        "min": 8, "max": 64}


@pytest.mark.parametrize("name", list(REGISTRY))
def test_data_option_defaults_pass_and_ranges_are_the_ranges_the_loader_enforces(name, tmp_path):
    options = DATA_LISTED[name]["options"]
    settings = {k: s for k, (s, _) in option_settings(name).items()}
    for key, param in options.items():
        if not param.get("required"):
            check_option(settings, key, param["default"])
    np.save(tmp_path / "rows.npy", np.random.default_rng(0).random((20, 8, 8), dtype=np.float32))
    # few rows, so loads are quick (and a small shapes grid, orientations 1, still holds them)
    base = {"path": str(tmp_path / "rows.npy")} if name == "file" else {"n": 50} if "n" in options else {}
    for key, bound in bounded(options):
        value = options[key][bound]
        if not options[key].get("exclusive"):
            check_option(settings, key, value)
            if not (key == "n" and bound == "max"):  # drawing 10^5 to 10^6 rows takes too long here
                assert load_dataset(name, **{**base, key: value}).source[key] == value
        # the loader itself refuses it, before reading anything (the file need not exist)
        extra = {"path": "no-such-file.npy"} if name == "file" else {}
        with pytest.raises(DataError, match=f"option '{key}' must be"):
            load_dataset(name, **extra, **{key: past(options[key], bound)})


def test_a_data_set_built_from_listed_defaults_is_the_default_one():
    listed = {k: p["default"] for k, p in DATA_LISTED["moons"]["options"].items()}
    assert load_dataset("moons", **listed).source == load_dataset("moons").source
