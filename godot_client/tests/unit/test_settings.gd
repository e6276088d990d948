extends "res://tests/test_case.gd"
## The Settings page's form builder against descriptors shaped like `model.list` / `data.list`
## Params (protocol/README.md §5.5): text to values and back, what a field refuses and says,
## forms built from a {key: Param} map that follow the backend without overwriting the user's
## edits, the custom layer editor, and finding the field or layer a server error names.

const LR := {
	"type": "float",
	"default": 0.001,
	"help": "Learning rate.",
	"min": 1e-07,
	"max": 10.0,
	"live": true
}
const BATCH := {
	"type": "int",
	"default": 128,
	"help": "Rows per step.",
	"min": 1,
	"max": 4096,
	"unit": "rows",
	"live": true
}
const HIDDEN := {
	"type": "int_list", "default": [256, 128], "help": "Widths.", "min": 1, "max": 8192
}
const ARCH := {
	"type": "choice", "default": "mlp", "help": "Nets.", "choices": ["mlp", "conv", "custom"]
}
const AMP := {"type": "bool", "default": true, "help": "bf16 on GPUs."}
const FRACTION := {
	"type": "float", "default": 0.1, "help": "Test rows.", "min": 0.0, "max": 1.0, "exclusive": true
}
const BINARIZE := {
	"type": "float", "default": null, "help": "Threshold.", "min": 0.0, "max": 1.0, "nullable": true
}
const PATH := {"type": "path", "default": null, "help": "Your file.", "required": true}
const RESIZE := {
	"type": "size", "default": null, "help": "Side.", "min": 8, "max": 64, "nullable": true
}
const SHAPE := {
	"type": "int_list",
	"default": null,
	"help": "Fold.",
	"min": 1,
	"max": 16777216,
	"min_items": 0,
	"max_items": 3,
	"nullable": true
}
const CHANNELS := {
	"type": "choice", "default": null, "help": "1 or 3.", "choices": [1, 3], "nullable": true
}
const DELIMITER := {
	"type": "choice", "default": null, "help": "Cells.", "choices": [",", "\t"], "nullable": true
}
const EXCLUDE := {"type": "label_list", "default": [], "help": "Left out."}
const LAYERS := {
	"linear":
	{
		"out":
		{"type": "int", "default": null, "help": "Out.", "min": 1, "max": 8192, "required": true},
		"bias": {"type": "bool", "default": true, "help": "Bias."},
	},
	"conv":
	{
		"out":
		{"type": "int", "default": null, "help": "Out.", "min": 1, "max": 8192, "required": true},
		"kernel": {"type": "int", "default": 3, "help": "Kernel.", "min": 1, "max": 64},
	},
	"relu": {},
	"flatten": {},
}


func test_numbers_parse_within_their_range_and_say_what_is_accepted() -> void:
	check_eq(SettingsParam.parse(BATCH, " 64 "), {"value": 64}, "an int")
	check_eq(SettingsParam.parse(BATCH, "64.0"), {"value": 64}, "a whole float counts as an int")
	var over: String = SettingsParam.parse(BATCH, "5000").get("error", "")
	check(over.contains("5000") and over.contains("from 1 to 4096"), "out of range: %s" % over)
	var word: String = SettingsParam.parse(BATCH, "lots").get("error", "")
	check(word.contains("an integer from 1 to 4096") and word.contains("lots"), word)
	check(SettingsParam.parse(BATCH, "2.5").has("error"), "a fraction is no int")
	check_eq(SettingsParam.parse(LR, "1e-3"), {"value": 0.001}, "a float in e notation")
	check(SettingsParam.parse(LR, "0").get("error", "").contains("from 1e-07 to 10"), "lr 0")
	check(SettingsParam.parse(LR, "").has("error"), "an lr must be given")
	check(SettingsParam.parse(FRACTION, "1").get("error", "").contains("(exclusive)"), "ends")
	check_eq(SettingsParam.parse(FRACTION, "0.2"), {"value": 0.2}, "inside the ends")
	check_eq(SettingsParam.parse(BINARIZE, ""), {"value": null}, "nullable: empty is none")
	check_eq(SettingsParam.parse(BINARIZE, "0.5"), {"value": 0.5}, "or a threshold")


func test_lists_sizes_choices_and_paths() -> void:
	check_eq(SettingsParam.parse(HIDDEN, "512, 256 128"), {"value": [512, 256, 128]}, "widths")
	check_eq(SettingsParam.parse(HIDDEN, "[64]"), {"value": [64]}, "brackets are fine")
	var zero: String = SettingsParam.parse(HIDDEN, "64, 0").get("error", "")
	check(zero.contains('"0"') and zero.contains("from 1 to 8192"), "names the bad width: " + zero)
	check(SettingsParam.parse(HIDDEN, "").has("error"), "at least one width")
	check_eq(SettingsParam.parse(SHAPE, ""), {"value": null}, "image_shape empty: inferred")
	check_eq(SettingsParam.parse(SHAPE, "[]"), {"value": []}, "[]: plain vectors")
	check(SettingsParam.parse(SHAPE, "1, 2, 3, 4").get("error", "").contains("0 to 3"), "items")
	check_eq(SettingsParam.parse(EXCLUDE, ""), {"value": []}, "no classes left out")
	check_eq(SettingsParam.parse(EXCLUDE, "3, 0"), {"value": [3, 0]}, "class ids")
	check(SettingsParam.parse(EXCLUDE, "-1").has("error"), "no negative class id")
	check_eq(SettingsParam.parse(RESIZE, "28"), {"value": 28}, "one side")
	check_eq(SettingsParam.parse(RESIZE, "28x32"), {"value": [28, 32]}, "height × width")
	check(SettingsParam.parse(RESIZE, "4").has("error"), "below 8 pixels")
	check_eq(SettingsParam.parse(ARCH, "conv"), {"value": "conv"}, "a listed choice")
	check(SettingsParam.parse(ARCH, "rnn").get("error", "").contains("mlp, conv, custom"), "rnn")
	check_eq(SettingsParam.choices_of(CHANNELS), [null, 1, 3], "nullable choices start empty")
	check_eq(SettingsParam.parse(CHANNELS, "3"), {"value": 3}, "an int choice")
	check_eq(SettingsParam.parse(DELIMITER, "tab"), {"value": "\t"}, "tab shows as a word")
	check(SettingsParam.parse(PATH, "").get("error", "").contains("needs a value"), "required")
	check_eq(SettingsParam.parse(PATH, "a/b.csv"), {"value": "a/b.csv"}, "a path")
	var column := {"type": "string", "default": null, "help": "Labels.", "nullable": true}
	check_eq(SettingsParam.parse(column, "label"), {"value": "label"}, "a column by name")
	check_eq(SettingsParam.parse(column, "-1"), {"value": -1}, "or by index, as an int")
	check_eq(SettingsFileBrowser.size_text(812), "812 B", "bytes")
	check_eq(SettingsFileBrowser.size_text(34260), "34.3 kB", "kilobytes")
	check_eq(SettingsFileBrowser.size_text(4_500_000), "4.5 MB", "megabytes")


func test_values_show_as_a_person_writes_them() -> void:
	check_eq(SettingsParam.format(LR, 0.001), "0.001", "lr")
	check_eq(SettingsParam.format(LR, 1e-07), "1e-07", "tiny numbers in e notation")
	check_eq(SettingsParam.format(LR, 2.0), "2.0", "a whole float keeps its point")
	check_eq(SettingsParam.format(HIDDEN, [256, 128]), "256, 128", "a list")
	check_eq(SettingsParam.format(BINARIZE, null), "", "none is empty")
	var tip: String = SettingsParam.describe("batch_size", BATCH)
	for part: String in ["Rows per step.", "from 1 to 4096", "Default: 128", "rows", "Live"]:
		check(tip.contains(part), "the tooltip says %s: %s" % [part, tip])


func test_a_form_is_built_from_descriptors() -> void:
	var form := SettingsForm.new()
	var layers_param := {"type": "layers", "default": null, "help": "Custom.", "nullable": true}
	form.build({"lr": LR, "batch_size": BATCH, "arch": ARCH, "amp": AMP, "encoder": layers_param})
	check_eq(form.keys(), PackedStringArray(["lr", "batch_size", "arch", "amp"]), "layers skipped")
	check(form.field("lr").editor is LineEdit, "a number is typed")
	check(form.field("arch").editor is OptionButton, "a choice is picked")
	check(form.field("amp").editor is CheckBox, "a bool is ticked")
	check_eq(
		form.values(), {"lr": 0.001, "batch_size": 128, "arch": "mlp", "amp": true}, "defaults"
	)
	check(form.field("lr").editor.tooltip_text.contains("Learning rate."), "help as tooltip")
	var tag: Label = form.field("batch_size").get_parent().get_node_or_null("Tag")
	check(tag != null and tag.text == "rows", "the unit after the editor")
	form.build({"k": 5, "ema": true})
	check(form.field("k").editor is LineEdit and form.values()["k"] == 5, "bare default: an int")
	form.free()


func test_a_form_follows_the_backend_but_keeps_the_users_change() -> void:
	var form := SettingsForm.new()
	form.build({"hidden": HIDDEN, "arch": ARCH, "lr": LR})
	var seen: Array = []
	form.committed.connect(func(key: String, value: Variant) -> void: seen.append([key, value]))
	form.show_values({"hidden": [64, 32], "arch": "conv", "unknown": 1})
	check_eq(form.values()["hidden"], [64, 32], "the backend's widths are shown")
	check_eq(form.values()["arch"], "conv", "and its arch")
	check(form.enter("hidden", "128"), "typing a width list is accepted")
	check_eq(seen, [["hidden", [128]]], "the commit is signalled with its value")
	check_eq(form.pending_keys(), PackedStringArray(["hidden"]), "the change is pending")
	form.show_values({"hidden": [64, 32]})
	check_eq(form.values()["hidden"], [128], "a status does not overwrite the user's change")
	form.clear_pending()
	form.show_values({"hidden": [64, 32]})
	check_eq(form.values()["hidden"], [64, 32], "after New run or Revert it follows again")
	check(form.enter("arch", "custom") and form.values()["arch"] == "custom", "a pick")
	check(not form.enter("lr", "fast"), "refused text")
	check(form.message_of("lr").contains("a number from 1e-07 to 10"), form.message_of("lr"))
	check(form.problems().has("lr") and not form.values().has("lr"), "a problem, not a value")
	form.show_values({"lr": 0.01})
	check_eq(form.field("lr").editor.text, "fast", "refused text stays for the user to fix")
	check(form.enter("lr", "0.01"), "fixed")
	check_eq(form.message_of("lr"), "", "the message goes")
	check(not form.enter("nothing", "1"), "no such field")
	form.free()


func test_the_layer_editor_edits_a_custom_list() -> void:
	var editor := SettingsLayerEditor.new()
	editor.setup("decoder", LAYERS)
	var changes: Array[int] = [0]
	editor.changed.connect(func() -> void: changes[0] += 1)
	editor.set_layers([{"type": "linear", "out": 64}, {"type": "relu"}])
	check_eq(editor.layers(), [{"type": "linear", "out": 64, "bias": true}, {"type": "relu"}], "")
	check(not editor.pending, "shown from the backend: not pending")
	editor.add_layer("linear")
	check_eq(editor.row_count(), 3, "a row added")
	check(editor.problems().get(2, "").contains("out needs a value"), "a linear layer needs out")
	check(editor.enter(2, "out", "10"), "typed into the new row")
	check_eq(editor.layers()[2], {"type": "linear", "out": 10, "bias": true}, "the new layer")
	editor.move_layer(2, -1)
	check_eq(editor.layers()[1]["out"], 10, "moved up")
	editor.set_layer_type(1, "conv")
	check_eq(editor.layers()[1], {"type": "conv", "out": 10, "kernel": 3}, "retyped, out kept")
	editor.remove_layer(0)
	check_eq(editor.layers(), [{"type": "conv", "out": 10, "kernel": 3}, {"type": "relu"}], "")
	check(editor.pending and changes[0] == 5, "every edit signalled: %d" % changes[0])
	check(not editor.show_layers([{"type": "relu"}]), "the backend does not replace an edit")
	editor.show_shapes([["conv", [10, 6, 6]], ["relu", [360]]])
	check_eq(editor.get_node("Rows/Layer0").shape_label.text, "→ 10×6×6", "a layer's shape")
	editor.show_layer_error(1, "decoder layer 1 (relu) is wrong")
	check_eq(editor.layer_message(1), "decoder layer 1 (relu) is wrong", "its error")
	editor.clear_pending()
	check(editor.show_layers([]), "after New run the backend's list shows again")
	check(editor.layer_message(-1).contains("No layers"), "an empty list says so")
	editor.free()


func test_server_errors_point_at_their_layer_or_field() -> void:
	var msg: String = "decoder layer 3 (linear) needs flat features but its input has shape [16]"
	check_eq(SettingsErrors.layer_named(msg), {"list": "decoder", "index": 3}, "a layer")
	var ends: String = "the custom decoder ends with shape [32] but the data needs 64 values"
	check_eq(SettingsErrors.layer_named(ends), {"list": "decoder", "index": -1}, "the list")
	check_eq(SettingsErrors.layer_named("lr must be a number"), {}, "no layer")
	var keys := PackedStringArray(["beta", "beta_tc", "lr", "arch", "resize", "seed"])
	check_eq(SettingsErrors.key_named("lr must be a number from 1e-07 to 10", keys), "lr", "")
	check_eq(
		SettingsErrors.key_named("model 'x': parameter 'beta_tc' must be", keys), "beta_tc", ""
	)
	check_eq(SettingsErrors.key_named("option 'resize' must be an integer", keys), "resize", "")
	check_eq(SettingsErrors.key_named("arch 'conv' needs image data", keys), "arch", "")
	check_eq(SettingsErrors.key_named("unknown model 'rnn'", keys), "", "names no key")
	var missing: String = "cannot read data/nope.csv: no such file"
	check_eq(SettingsErrors.value_named(missing, {"path": "data/nope.csv", "seed": 0}), "path", "")
