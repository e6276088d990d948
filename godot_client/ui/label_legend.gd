class_name LabelLegend
extends PanelContainer
## The colour key of the latent points: one swatch per digit label, or one for unlabelled data.

@onready var _rows: GridContainer = $Rows


func _ready() -> void:
	show_labels(true)


## Rebuilds the key for labelled (digits 0–9) or unlabelled data.
func show_labels(labelled: bool) -> void:
	var wanted: int = StudioPalette.LABELS.size() if labelled else 1
	if _rows.get_child_count() == wanted * 2:
		return
	for child in _rows.get_children():
		child.queue_free()
	# Two rows of five swatch + label pairs.
	_rows.columns = 10 if labelled else 2
	for i in wanted:
		var swatch := ColorRect.new()
		swatch.custom_minimum_size = Vector2(10.0, 10.0)
		swatch.size_flags_vertical = Control.SIZE_SHRINK_CENTER
		swatch.color = StudioPalette.label_color(i if labelled else -1)
		swatch.mouse_filter = Control.MOUSE_FILTER_IGNORE
		var label := Label.new()
		label.text = str(i) if labelled else "unlabelled"
		label.add_theme_font_size_override("font_size", 12)
		label.mouse_filter = Control.MOUSE_FILTER_IGNORE
		_rows.add_child(swatch)
		_rows.add_child(label)
