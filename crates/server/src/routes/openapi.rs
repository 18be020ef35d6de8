//! `GET /v1/openapi.json`: the OpenAPI 3.1 description, generated from
//! [`super::ROUTES`] — the table the router itself is built from — so the
//! description cannot list an endpoint the server lacks or miss one it has.

use axum::response::IntoResponse;
use serde_json::{json, Map, Value};

use super::ROUTES;

/// An error answer: always `{code, message}` with a stable snake_case code.
fn error_response(what: &str) -> Value {
    json!({
        "description": format!("{what}: `{{code, message}}` with a stable snake_case code"),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// The OpenAPI document.
pub fn spec() -> Value {
    let mut paths = Map::new();
    for e in ROUTES {
        let (method, path) = (e.method, e.path);
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = json!({
            "operationId": format!("{}_{}", method.to_lowercase(), path.trim_start_matches("/v1/").replace(['/', '{', '}', '-', '.'], "_")),
            "summary": e.summary,
            "parameters": params,
            "responses": {
                "2XX": {"description": "Done; the body, if any, is the JSON the summary names"},
                "4XX": error_response("Refused"),
                "5XX": error_response("A fault, or a part of the server unavailable")
            }
        });
        if !e.public {
            op["security"] = json!([{"bearer": []}]);
        }
        let entry = paths
            .entry(path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "E-Cabinet sync API", "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"ErrorBody": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}
            }}
        }
    })
}

pub async fn serve() -> impl IntoResponse {
    axum::Json(spec())
}
