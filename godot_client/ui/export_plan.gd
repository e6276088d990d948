class_name ExportPlan
extends RefCounted
## What an export to this machine is made of, as pure functions the Export tab and its tests
## share: the `run.export` items and the files each writes (protocol §5.2), which items a reply
## left out and why, whether a path the server names is safe to write under the destination,
## whether a folder can be written, and sizes and progress in words.

## The `run.export` items, in the order the tab lists them.
const ITEMS: PackedStringArray = [
	"checkpoint",
	"config",
	"metrics",
	"latents",
	"samples",
	"reconstructions",
	"latent_map",
	"onnx",
	"godot",
]
## What each item writes, for the tooltips (the file names are the server's).
const ITEM_HELP: Dictionary = {
	"checkpoint":
	"checkpoint.safetensors: weights, optimiser state, batch order and RNG state (resume it)",
	"config": "config.json and environment.json: model, data and training config; versions",
	"metrics": "metrics.csv: every logged step of the run",
	"latents": "latents.npz (mu, logvar, indices, labels) and latents.csv, for every data row",
	"samples": "samples.png: a grid of decodes from the prior (image data)",
	"reconstructions": "reconstructions.png: test rows beside their reconstructions (image data)",
	"latent_map": "latent_map.png: the first two latent dimensions, coloured by label",
	"onnx": "decoder.onnx: the decoder for ONNX runtimes (needs the onnx package on the server)",
	"godot": "godot/decoder.safetensors: the decoder for VaeStudioDecoder, no Python needed",
}
## The files each item writes, relative to the run folder; a folder name ends with "/".
const ITEM_FILES: Dictionary = {
	"checkpoint": ["checkpoint.safetensors"],
	"config": ["config.json", "environment.json"],
	"metrics": ["metrics.csv"],
	"latents": ["latents.npz", "latents.csv"],
	"samples": ["samples.png"],
	"reconstructions": ["reconstructions.png"],
	"latent_map": ["latent_map.png"],
	"onnx": ["decoder.onnx"],
	"godot": ["godot/"],
}
## Why the server leaves an item out of `files` (it says nothing itself; protocol §5.2).
const SKIP_REASONS: Dictionary = {
	"samples": "vector data has no pictures",
	"reconstructions": "vector data has no pictures",
	"onnx": "needs the onnx package on the server (vaestudio[onnx]) and a model without labels",
	"godot": "the server wrote no Godot decoder for this model",
}
## Why decoder.onnx was left out, when the model is known.
const ONNX_LABELLED: String = "the model takes class labels, which decoder.onnx cannot"
const ONNX_MISSING: String = "the backend lacks the onnx package (pip install 'vaestudio[onnx]')"
## `run.fetch` takes at most this many bytes a request.
const MAX_CHUNK: int = 4 * 1024 * 1024
const EXPORTS_ROOT: String = "user://exports"


## The item whose files include `path` ("" for a file no item names).
static func item_of(path: String) -> String:
	for item: String in ITEM_FILES:
		for name: String in ITEM_FILES[item]:
			if path == name or (name.ends_with("/") and path.begins_with(name)):
				return item
	return ""


## The items of `asked` that wrote none of `files`, each with the reason ("onnx: needs …").
## `labelled`: 1 when the run's model takes class labels, 0 when it does not, -1 when unknown;
## it tells which of its two reasons left decoder.onnx out.
static func skipped(
	asked: PackedStringArray, files: PackedStringArray, labelled: int = -1
) -> PackedStringArray:
	var delivered: Dictionary = {}
	for path in files:
		delivered[item_of(path)] = true
	var out: PackedStringArray = []
	for item in asked:
		if delivered.has(item):
			continue
		var why: String = str(SKIP_REASONS.get(item, "the server wrote no file for it"))
		if item == "onnx" and labelled >= 0:
			why = ONNX_LABELLED if labelled == 1 else ONNX_MISSING
		out.append("%s: %s" % [item, why])
	return out


## What is wrong with `path`, a file the server names relative to the run folder, as a place to
## write under the destination ("" when it is safe): absolute, "..", "." or empty parts, and
## backslashes or drive letters never are.
static func path_problem(path: String) -> String:
	if path.is_empty():
		return "an empty file name"
	if path.begins_with("/") or path.contains("\\") or path.contains(":"):
		return "'%s' is not a path relative to the run folder" % path
	for part in path.split("/"):
		if part in ["", ".", ".."]:
			return "'%s' would leave the export folder" % path
	return ""


## The default destination of run `run`: user://exports/<run>/ (any character a folder name
## should not hold becomes "_").
static func default_folder(run: String) -> String:
	var safe: String = ""
	for c in run:
		safe += c if (c.is_valid_identifier() or c.is_valid_int() or c in "-.") else "_"
	return "%s/%s/" % [EXPORTS_ROOT, safe if not safe.is_empty() else "run"]


## `folder` as an absolute path of this machine (user:// and res:// resolved), ending in "/".
static func absolute(folder: String) -> String:
	var path: String = ProjectSettings.globalize_path(folder.strip_edges())
	return path if path.ends_with("/") else path + "/"


## Why nothing can be written into `folder` ("" when it can): it is created when missing, and a
## probe file is written and removed, so a read-only or impossible folder is found before any
## byte is fetched.
static func folder_problem(folder: String) -> String:
	if folder.strip_edges().is_empty():
		return "No destination folder: pick one with Choose…."
	var path: String = absolute(folder)
	var blocking: String = _file_on_the_way(path)
	if not blocking.is_empty():
		return (
			"Cannot create the folder %s: %s is a file. Pick a folder you can write to."
			% [path, blocking]
		)
	var made: Error = DirAccess.make_dir_recursive_absolute(path)
	if made != OK:
		return (
			"Cannot create the folder %s (%s): pick a folder you can write to."
			% [path, error_string(made)]
		)
	var probe: String = path + ".vaestudio-write-test"
	var file := FileAccess.open(probe, FileAccess.WRITE)
	if file == null:
		return (
			"Cannot write into %s (%s): pick a folder you can write to."
			% [path, error_string(FileAccess.get_open_error())]
		)
	file.close()
	DirAccess.remove_absolute(probe)
	return ""


## The first part of `path` (a folder to make) that exists as a file, or "".
static func _file_on_the_way(path: String) -> String:
	var at: String = path.trim_suffix("/")
	while not at.is_empty() and not DirAccess.dir_exists_absolute(at):
		if FileAccess.file_exists(at):
			return at
		var parent: String = at.get_base_dir()
		if parent == at:
			break
		at = parent
	return ""


## "512 B", "3.4 KiB", "12.0 MiB", "1.05 GiB".
static func human_bytes(n: int) -> String:
	if n < 1024:
		return "%d B" % n
	var units: PackedStringArray = ["KiB", "MiB", "GiB", "TiB"]
	var value: float = float(n) / 1024.0
	var unit: int = 0
	while value >= 1024.0 and unit < units.size() - 1:
		value /= 1024.0
		unit += 1
	return "%s %s" % [String.num(value, 2 if value < 10.0 and unit >= 1 else 1), units[unit]]


## "3.2 MiB of 10.1 MiB · latents.npz (4 of 9)".
static func describe_progress(
	done: int, total: int, current: String, index: int, count: int
) -> String:
	var text: String = "%s of %s" % [human_bytes(done), human_bytes(total)]
	if not current.is_empty():
		text += " · %s (%d of %d)" % [current, index + 1, count]
	return text


## The length of the next `run.fetch` of a `size`-byte file at `offset`: at most `chunk` (itself
## within 1 byte … MAX_CHUNK), 0 once the file is whole.
static func next_length(offset: int, size: int, chunk: int) -> int:
	return clampi(mini(clampi(chunk, 1, MAX_CHUNK), size - offset), 0, MAX_CHUNK)
