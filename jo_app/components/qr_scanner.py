"""Camera QR scanner: the npm component `@yudiel/react-qr-scanner` wrapped for Reflex (no hand-written JS file).

- Client-side only (`rx.NoSSRComponent`): the camera and the decoder exist in the browser only.
- `on_scan` receives the detected codes' text (`list[str]`, their `rawValue`), nothing else.
- Decoding uses the zxing-cpp WebAssembly build shipped by the npm package `zxing-wasm` (through
  `barcode-detector`). By default it would be fetched from a CDN at run time; the app serves its own copy
  (`assets/zxing_reader.wasm`, version ZXING_WASM_VERSION, the one `barcode-detector@BARCODE_DETECTOR_VERSION`
  pins) and the lazy import below points `setZXingModuleOverrides({locateFile})` at it *before* the scanner
  module is used, so the first detector instance already loads the local file.
- Default constraints ask for the rear camera at 1280x720 (ideal values only: any camera resolution works).
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from reflex.vars.base import Var

SCANNER_PACKAGE = "@yudiel/react-qr-scanner@2.6.0"
BARCODE_DETECTOR_VERSION = "3.2.2"  # pins zxing-wasm 3.1.3 exactly
ZXING_WASM_VERSION = "3.1.3"
WASM_ASSET = "zxing_reader.wasm"  # assets/zxing_reader.wasm, copied from zxing-wasm/dist/reader/
# SHA-256 of that file; barcode-detector embeds the same value (ZXING_WASM_SHA256) for the build it expects.
ZXING_WASM_SHA256 = "2ebda08a93eea3efcd8399cda6b276e6a0b1de4fec60b4d8988a047de4c6d1ba"

DEFAULT_CONSTRAINTS: dict[str, Any] = {
    "facingMode": "environment",
    "width": {"ideal": 1280},
    "height": {"ideal": 720},
}


def _raw_values(codes: Var) -> tuple[Var[list[str]]]:
    """Event spec: the detected barcodes' text values only."""
    return (Var(_js_expr=f"(({codes}) || []).map((code) => String(code.rawValue ?? ''))",
                _var_type=list[str]),)


def _error_message(error: Var) -> tuple[Var[str]]:
    """Event spec: the scanner error kind (permission-denied, no-camera, overconstrained, ...)."""
    return (Var(_js_expr=f"String((({error}) || {{}}).kind || 'unknown')", _var_type=str),)


def wasm_url() -> str:
    """Public URL of the self-hosted decoder (honours the app's frontend_path)."""
    return str(rx.asset(WASM_ASSET, _stack_level=2))


class QrScanner(rx.NoSSRComponent):
    """`<Scanner>` from @yudiel/react-qr-scanner (camera preview + continuous QR detection)."""

    library = SCANNER_PACKAGE
    tag = "Scanner"
    lib_dependencies: list[str] = [f"barcode-detector@{BARCODE_DETECTOR_VERSION}"]

    # MediaTrackConstraints for getUserMedia (merged over the component's own defaults).
    constraints: rx.Var[dict[str, Any]]
    # Barcode formats to look for (["qr_code"] keeps decoding fast).
    formats: rx.Var[list[str]]
    # Stop the camera (shows the last frame); resuming re-opens it.
    paused: rx.Var[bool]
    # Call on_scan again for a code that stays in view (at most every `scan_delay` ms).
    allow_multiple: rx.Var[bool]
    scan_delay: rx.Var[int]
    # Minimum delay between two decoding attempts (ms).
    retry_delay: rx.Var[int]
    # The component's own beep on detection (the page plays its own verdict sounds instead).
    sound: rx.Var[bool]
    # Built-in overlays: {"finder": bool, "torch": bool, "onOff": bool, "zoom": bool}.
    components: rx.Var[dict[str, bool]]
    # Inline styles {"container": {...}, "video": {...}}.
    styles: rx.Var[dict[str, dict[str, str]]]
    start_timeout_ms: rx.Var[int]

    on_scan: rx.EventHandler[_raw_values]
    on_error: rx.EventHandler[_error_message]

    def _get_dynamic_imports(self) -> str:
        """The lazy import, with the decoder pointed at the self-hosted WASM before the module is used."""
        locate = (
            "(path, prefix) => (path.endsWith('.wasm') ? "
            f"new URL({json.dumps(wasm_url())}, window.location.origin).href : prefix + path)"
        )
        name = self.alias or self.tag
        return (
            f"const {name} = ClientSide(() => import('{self.library_name()}').then((mod) => "
            f"{{ mod.setZXingModuleOverrides({{ locateFile: {locate} }}); return mod.{self.tag}; }}), "
            f"{json.dumps(name)})"
        )

    def library_name(self) -> str:
        """The package name without its version (what `import()` takes)."""
        from reflex_base.utils import format

        return format.format_library_name(self._get_import_name() or "")

    @classmethod
    def create(cls, *children, **props) -> rx.Component:
        props.setdefault("constraints", DEFAULT_CONSTRAINTS)
        props.setdefault("formats", ["qr_code"])
        props.setdefault("sound", False)
        props.setdefault("components", {"finder": True, "torch": True, "onOff": False, "zoom": False})
        return super().create(*children, **props)


qr_scanner = QrScanner.create
