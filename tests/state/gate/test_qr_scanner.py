"""The camera scanner component: self-hosted decoder WASM (right build, no CDN), codes reduced to their text."""

from __future__ import annotations

import hashlib
from pathlib import Path

from jo_app.components import qr_scanner
from jo_app.components.qr_scanner import QrScanner
from jo_app.state.gate.control import GateState

ROOT = Path(__file__).resolve().parents[3]


def test_wasm_asset_is_the_build_the_decoder_expects() -> None:
    wasm = (ROOT / "assets" / qr_scanner.WASM_ASSET).read_bytes()
    assert wasm[:4] == b"\0asm"
    assert hashlib.sha256(wasm).hexdigest() == qr_scanner.ZXING_WASM_SHA256
    installed = ROOT / ".web" / "node_modules" / "barcode-detector" / "dist" / "es" / "zxing-exported.js"
    if installed.exists():  # after a build: the installed barcode-detector pins this very file
        assert qr_scanner.ZXING_WASM_SHA256 in installed.read_text()


def test_lazy_import_points_the_decoder_at_the_app_asset_before_use(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)  # rx.asset resolves assets/ from the working directory
    component = QrScanner.create(on_scan=GateState.scan)
    code = component._get_dynamic_imports()
    assert "import('@yudiel/react-qr-scanner')" in code
    assert code.index("setZXingModuleOverrides") < code.index("return mod.Scanner")
    assert '"/zxing_reader.wasm' in code and "jsdelivr" not in code and "http" not in code
    assert f"barcode-detector@{qr_scanner.BARCODE_DETECTOR_VERSION}" in QrScanner.lib_dependencies


def test_scan_event_sends_only_the_raw_values() -> None:
    (spec,) = qr_scanner._raw_values(qr_scanner.Var(_js_expr="codes"))
    assert str(spec) == "((codes) || []).map((code) => String(code.rawValue ?? ''))"
    props = QrScanner.create(on_scan=GateState.scan).render()["props"]
    assert 'formats:["qr_code"]' in props
    on_scan = next(p for p in props if p.startswith("onScan:"))
    assert "gate_state.scan" in on_scan and "map((code) => String(code.rawValue ?? ''))" in on_scan
    assert any(p.startswith("constraints:") and '["ideal"] : 1280' in p and '["ideal"] : 720' in p for p in props)
