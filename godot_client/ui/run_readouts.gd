class_name RunReadouts
extends PanelContainer
## Numbers from the latest `metrics` message: step, epoch, samples/s and the loss terms.
## Samples/s says "paused" while the model is not training (its last value would be untrue).

const FIELDS: Array[Array] = [
	["step", "Step"],
	["epoch", "Epoch"],
	["samples_per_s", "Samples/s"],
	["loss", "Loss"],
	["recon", "Recon"],
	["kl", "KL"],
]

var _values: Dictionary = {}

@onready var _grid: GridContainer = $Grid


func _ready() -> void:
	for field: Array in FIELDS:
		var cell := VBoxContainer.new()
		cell.size_flags_horizontal = Control.SIZE_EXPAND_FILL
		cell.add_theme_constant_override("separation", -2)
		var caption := Label.new()
		caption.text = field[1]
		caption.theme_type_variation = &"DimLabel"
		var value := Label.new()
		value.text = "—"
		value.theme_type_variation = &"ValueLabel"
		cell.add_child(caption)
		cell.add_child(value)
		_grid.add_child(cell)
		_values[field[0]] = value
	StudioSession.metrics_received.connect(_on_metrics_received)
	StudioSession.status_received.connect(_on_status_received)


func _on_metrics_received(metrics: Dictionary) -> void:
	for field: Array in FIELDS:
		var key: String = field[0]
		var label: Label = _values[key]
		label.text = _format(key, metrics.get(key))
	_on_status_received(StudioSession.status)


func _on_status_received(status: Dictionary) -> void:
	if not status.is_empty() and status.get("state", "") != "training":
		(_values["samples_per_s"] as Label).text = "paused"


static func _format(key: String, value: Variant) -> String:
	if typeof(value) not in [TYPE_INT, TYPE_FLOAT]:
		return "—"
	match key:
		"step", "epoch":
			return str(int(value))
		"samples_per_s":
			return "%d" % roundi(float(value))
	var number: float = float(value)
	if absf(number) >= 100.0:
		return "%.1f" % number
	return "%.3f" % number
