class_name UseCaseStyleTiles
extends RefCounted
## What the Style, Features and Generation pages share: reply arrays with several leading
## dimensions flattened for [UseCaseTiles], the live data set's class names, typed rows and
## messages in the studio's colours.


## `arr` with its first `lead` dimensions merged into one (row-major), e.g. `style`'s
## [n, m, h, w(, c)] as [n·m, h, w(, c)] for [method UseCaseTiles.cells_of]; {} when `arr` is no
## valid array of more than `lead` dimensions.
static func flatten(arr: Variant, lead: int) -> Dictionary:
	if not arr is Dictionary or not VaeStudioArray.validate(arr).is_empty():
		return {}
	var shape: Array = (arr as Dictionary)["shape"]
	if shape.size() <= lead:
		return {}
	var count: int = 1
	for d in lead:
		count *= int(shape[d])
	var flat: Array = [count]
	flat.append_array(shape.slice(lead))
	return {"dtype": arr["dtype"], "shape": flat, "data": arr["data"]}


## The live data set's class names, or its class ids when it has none ([] for unlabelled data).
static func class_names() -> PackedStringArray:
	var names := PackedStringArray()
	var dataset: Variant = StudioSession.status.get("dataset")
	if not dataset is Dictionary:
		return names
	var given: Variant = (dataset as Dictionary).get("class_names")
	if given is Array:
		for name: Variant in given:
			names.append(str(name))
		return names
	var count: Variant = (dataset as Dictionary).get("num_classes")
	if typeof(count) in [TYPE_INT, TYPE_FLOAT]:
		for i in int(count):
			names.append(str(i))
	return names


## The live run's newest training step: the `metrics` stream's (several a second), else the
## status's (sent less often).
static func live_step() -> int:
	var step: Variant = StudioSession.metrics.get("step")
	if typeof(step) in [TYPE_INT, TYPE_FLOAT]:
		return int(step)
	return int(StudioSession.status.get("step", 0))


## Rows typed as "0, 5 17": the indices, or [] when any part is not a whole number ≥ 0.
static func parse_rows(text: String) -> PackedInt32Array:
	var rows := PackedInt32Array()
	for part in text.replace(",", " ").split(" ", false):
		if not part.is_valid_int() or part.to_int() < 0:
			return PackedInt32Array()
		rows.append(part.to_int())
	return rows


## A label in the studio's colours: dim hints, or red errors.
static func set_message(label: Label, text: String, is_error: bool = false) -> void:
	label.text = text
	var colour: Color = StudioPalette.ERROR if is_error else StudioPalette.TEXT_DIM
	label.add_theme_color_override("font_color", colour)
