class_name SettingsFileBrowser
extends ConfirmationDialog
## Lists the server's data folders (its --data-dir roots) through `data.browse`: folders to go
## into, files with their sizes, and a parent entry. Choosing a file (double-click, or select and
## OK) emits [signal file_chosen] with the path `run.new`'s `file` data set takes.

## The user chose a file: `path` is the entry's path as the server gave it.
signal file_chosen(path: String)

const DIALOG_SIZE := Vector2i(600, 420)

## The folder listed ("" for the roots), its parent (null at the top) and its entries as the
## server sent them ({name, kind, size, path}).
var current_path: String = ""
var parent_path: Variant = null
var entries: Array[Dictionary] = []
## The last failure of `data.browse` ("" once a listing arrived).
var error: String = ""
## Listings received (the driver waits for a new one after going into a folder).
var listings: int = 0

var _tree: Tree
var _where: Label
var _message: Label
var _asked_seq: int = 0


func _init() -> void:
	title = "Choose a data file on the server"
	ok_button_text = "Choose"
	min_size = DIALOG_SIZE
	var rows := VBoxContainer.new()
	rows.add_theme_constant_override("separation", 6)
	add_child(rows)
	_where = Label.new()
	_where.theme_type_variation = &"MonoLabel"
	_where.clip_text = true
	rows.add_child(_where)
	_tree = Tree.new()
	_tree.name = "Entries"
	_tree.columns = 2
	_tree.hide_root = true
	_tree.select_mode = Tree.SELECT_ROW
	_tree.size_flags_vertical = Control.SIZE_EXPAND_FILL
	_tree.custom_minimum_size = Vector2(520, 240)
	_tree.set_column_expand(1, false)
	_tree.set_column_custom_minimum_width(1, 110)
	_tree.item_activated.connect(_on_item_activated)
	rows.add_child(_tree)
	_message = Label.new()
	_message.theme_type_variation = &"DimLabel"
	_message.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	# A wrapping label needs a width, or the dialog grows to fit it one word a line.
	_message.custom_minimum_size = Vector2(520, 0)
	_message.text = "Double-click a folder to open it, a file to choose it."
	rows.add_child(_message)
	confirmed.connect(_on_confirmed)


## Opens the dialog on folder `path` ("" for the server's data folders).
func open_at(path: String) -> void:
	popup_centered(DIALOG_SIZE)
	browse(path)


## Lists folder `path` ("" for the server's data folders).
func browse(path: String) -> void:
	_asked_seq += 1
	var seq: int = _asked_seq
	_show("Listing %s…" % (path if not path.is_empty() else "the server's data folders"), false)
	var args: Dictionary = {} if path.is_empty() else {"path": path}
	StudioSession.send("data.browse", args, _on_reply.bind(seq))


## Activates the entry called `entry_name` ("..": the parent), as a double-click does; false
## when the listing has none.
func choose(entry_name: String) -> bool:
	if entry_name == "..":
		if parent_path == null:
			return false
		browse(str(parent_path))
		return true
	for entry: Dictionary in entries:
		if entry.get("name") == entry_name:
			_activate(entry)
			return true
	return false


## "812 B", "12.3 kB", "4.5 MB".
static func size_text(size: int) -> String:
	var units: PackedStringArray = ["B", "kB", "MB", "GB", "TB"]
	var value: float = float(size)
	var unit: int = 0
	while value >= 1000.0 and unit < units.size() - 1:
		value /= 1000.0
		unit += 1
	return "%d B" % size if unit == 0 else "%.1f %s" % [value, units[unit]]


func _on_reply(request: VaeStudioRequest, seq: int) -> void:
	if seq != _asked_seq:
		return
	if not request.is_ok():
		error = SettingsErrors.plain(request)
		_show(error, true)
		return
	var result: Dictionary = request.result()
	error = ""
	current_path = str(result.get("path", ""))
	parent_path = result.get("parent")
	entries.clear()
	var listed: Variant = result.get("entries")
	if listed is Array:
		for entry: Variant in listed:
			if entry is Dictionary and entry.get("name") is String:
				entries.append(entry)
	listings += 1
	_fill()
	var note: String = "Double-click a folder to open it, a file to choose it."
	if entries.is_empty():
		note = "This folder is empty (hidden files are not listed)."
	if result.get("truncated", false) == true:
		note = "Only the first %d entries are listed." % entries.size()
	_show(note, false)


func _fill() -> void:
	_tree.clear()
	var root: TreeItem = _tree.create_item()
	_where.text = "The server's data folders (--data-dir)"
	if not current_path.is_empty():
		# "." is the top of a --data-dir folder.
		_where.text = (
			"Folder: " + ("top of the data folder" if current_path == "." else current_path)
		)
	_where.tooltip_text = _where.text
	if parent_path != null:
		var up: TreeItem = _tree.create_item(root)
		up.set_text(0, ".. (up)")
		up.set_metadata(0, {"name": "..", "kind": "parent"})
	for entry: Dictionary in entries:
		var item: TreeItem = _tree.create_item(root)
		var is_dir: bool = entry.get("kind") == "dir"
		item.set_text(0, str(entry["name"]) + ("/" if is_dir else ""))
		item.set_tooltip_text(0, str(entry.get("path", "")))
		item.set_text(1, "folder" if is_dir else size_text(int(entry.get("size", 0))))
		item.set_text_alignment(1, HORIZONTAL_ALIGNMENT_RIGHT)
		if is_dir:
			item.set_custom_color(0, StudioPalette.ACCENT)
		item.set_metadata(0, entry)


func _on_item_activated() -> void:
	var item: TreeItem = _tree.get_selected()
	if item != null:
		var entry: Dictionary = item.get_metadata(0)
		if entry.get("kind") == "parent":
			choose("..")
		else:
			_activate(entry)


func _on_confirmed() -> void:
	_on_item_activated()


func _activate(entry: Dictionary) -> void:
	if entry.get("kind") == "dir":
		browse(str(entry.get("path", "")))
		# Confirming a folder goes into it: the dialog stays open.
		if not visible:
			popup_centered(DIALOG_SIZE)
		return
	hide()
	file_chosen.emit(str(entry.get("path", "")))


func _show(text: String, is_error: bool) -> void:
	_message.text = text
	_message.add_theme_color_override(
		"font_color", StudioPalette.ERROR if is_error else StudioPalette.TEXT_DIM
	)
