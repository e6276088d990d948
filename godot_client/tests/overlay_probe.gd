extends SceneTree
## Starts the Studio's main scene and prints what its waiting overlay says, one line:
##   OVERLAY <visible> | <title> | <hint> | <detail>
## It names no class_name of the project, so it runs where the project's own scripts do not
## compile (a copy without .godot/global_script_class_cache.cfg: tests/test_godot_fresh_copy.py).

const FRAMES: int = 10
const ROWS: String = "BackendOverlay/Center/Panel/Rows/"

var _main: Node
var _frames: int = 0


func _initialize() -> void:
	_main = (load("res://main.tscn") as PackedScene).instantiate()
	root.add_child(_main)


func _process(_delta: float) -> bool:
	_frames += 1
	if _frames < FRAMES:
		return false
	var overlay: CanvasItem = _main.get_node("BackendOverlay")
	var texts: PackedStringArray = [str(overlay.visible)]
	for label: String in ["Title", "Hint", "Detail"]:
		texts.append((_main.get_node(ROWS + label) as Label).text.replace("\n", " "))
	print("OVERLAY " + " | ".join(texts))
	return true
