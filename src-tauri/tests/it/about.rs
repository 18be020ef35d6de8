use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;

#[test]
fn app_info_command_returns_the_version_and_the_loaded_pdfium_build() {
    let app = mock_builder()
        .invoke_handler(tauri::generate_handler![
            ecabinet_app_lib::commands::about::app_info
        ])
        .build(mock_context(noop_assets()))
        .expect("mock app builds");
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock webview");
    let response = get_ipc_response(
        &webview,
        InvokeRequest {
            cmd: "app_info".into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: webview.url().expect("webview url"),
            body: tauri::ipc::InvokeBody::default(),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .expect("command succeeds");
    let value: serde_json::Value = response.deserialize().expect("json");
    assert_eq!(value["appVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(value["pdfium"]["kind"], "loaded", "{value}");
    let version = value["pdfium"]["version"].as_str().expect("version string");
    assert!(version.contains(".8149."), "{version}");
}
