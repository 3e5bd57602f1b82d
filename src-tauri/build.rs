//! Embeds tauri.conf.json and the window's capability, and declares the app's commands so that
//! only those the capability lists can be called.

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(&["gateway_status", "set_mode"]));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}");
    }
}
