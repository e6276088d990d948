class_name ExportFolderRow
extends VBoxContainer
## A destination folder on this machine: the path (user:// or absolute, typed or picked with
## Choose…, a file dialog over the whole file system), the absolute path it means under it, and
## Open folder (the system's file manager, where there is one). Until the user picks or types
## one, [method set_default] keeps it following the default.

signal folder_changed(folder: String)
## Open folder could not show the folder; `why` is a sentence for the UI.
signal open_failed(why: String)

## The folder typed or picked; "" before any default.
var folder: String = ""
## The last Open folder's problem ("" when it opened).
var open_error: String = ""

var _custom: bool = false
var _edit: LineEdit
var _choose: Button
var _open: Button
var _absolute: Label
var _dialog: FileDialog


func _ready() -> void:
	add_theme_constant_override("separation", 2)
	var row := HBoxContainer.new()
	row.add_theme_constant_override("separation", 6)
	add_child(row)
	_edit = LineEdit.new()
	_edit.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_edit.placeholder_text = "a folder on this machine"
	_edit.tooltip_text = "user://… is Godot's user data folder; an absolute path works too"
	_edit.text_submitted.connect(func(text: String) -> void: set_folder(text))
	_edit.focus_exited.connect(func() -> void: _on_edited(_edit.text))
	row.add_child(_edit)
	_choose = Button.new()
	_choose.text = "Choose…"
	_choose.tooltip_text = "Pick a folder anywhere on this machine"
	_choose.pressed.connect(choose)
	row.add_child(_choose)
	_open = Button.new()
	_open.text = "Open folder"
	_open.tooltip_text = "Show the folder in the system's file manager"
	_open.pressed.connect(open_folder)
	_open.visible = OS.has_feature("pc")
	row.add_child(_open)
	_absolute = Label.new()
	_absolute.theme_type_variation = &"DimLabel"
	_absolute.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	_absolute.clip_text = true
	_absolute.mouse_filter = Control.MOUSE_FILTER_PASS
	add_child(_absolute)
	_show()


## Uses `path` unless the user chose one (a run change moves the default along).
func set_default(path: String) -> void:
	if not _custom:
		folder = path
		_show()
		folder_changed.emit(folder)


## Uses `path` from now on (what typing it or picking it does).
func set_folder(path: String) -> void:
	_custom = true
	folder = path.strip_edges()
	_show()
	folder_changed.emit(folder)


## The folder as an absolute path of this machine, ending in "/".
func absolute_path() -> String:
	return ExportPlan.absolute(folder)


## Opens the folder dialog (the Choose… button).
func choose() -> void:
	if _dialog == null:
		_dialog = FileDialog.new()
		_dialog.title = "Choose the export folder"
		_dialog.access = FileDialog.ACCESS_FILESYSTEM
		_dialog.file_mode = FileDialog.FILE_MODE_OPEN_DIR
		_dialog.use_native_dialog = false
		_dialog.size = Vector2i(760, 480)
		_dialog.dir_selected.connect(set_folder)
		add_child(_dialog)
	var start: String = absolute_path()
	while not start.is_empty() and not DirAccess.dir_exists_absolute(start):
		var parent: String = start.trim_suffix("/").get_base_dir()
		start = "" if parent == start.trim_suffix("/") else parent
	_dialog.current_dir = start if not start.is_empty() else OS.get_environment("HOME")
	_dialog.popup_centered()


## Shows the folder in the system's file manager (made first, so there is one to show).
func open_folder() -> void:
	var path: String = absolute_path()
	DirAccess.make_dir_recursive_absolute(path)
	var opened: Error = OS.shell_open(path)
	open_error = "" if opened == OK else "Could not open %s (%s)." % [path, error_string(opened)]
	if not open_error.is_empty():
		open_failed.emit(open_error)


## Enables or disables the controls together (while an export writes into the folder).
func set_editable(on: bool) -> void:
	_edit.editable = on
	_choose.disabled = not on


func _on_edited(text: String) -> void:
	if text.strip_edges() != folder:
		set_folder(text)


func _show() -> void:
	if _edit == null:
		return
	if _edit.text != folder:
		_edit.text = folder
	var path: String = absolute_path() if not folder.is_empty() else ""
	_absolute.text = path
	_absolute.tooltip_text = path
