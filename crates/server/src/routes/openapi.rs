//! `GET /v1/openapi.json`: the OpenAPI 3.1 description, generated from
//! [`super::ROUTES`] — the table the router itself is built from — so the
//! description cannot list an endpoint the server lacks or miss one it has.

use axum::response::IntoResponse;
use serde_json::{json, Map, Value};

use super::{Body, Schemas, ROUTES};

/// The media type and schema of a body, if it has one.
fn content(body: Body, schemas: &mut Schemas) -> Option<Value> {
    let binary = json!({"type": "string", "format": "binary"});
    let (media, schema) = match body {
        Body::Empty => return None,
        Body::Json(f) => ("application/json", f(schemas)),
        Body::JsonList(f) => (
            "application/json",
            json!({"type": "array", "items": f(schemas)}),
        ),
        Body::AnyObject => ("application/json", json!({"type": "object"})),
        Body::Pdf => ("application/pdf", binary),
        Body::UploadPart => ("application/offset+octet-stream", binary),
        Body::Bytes => ("application/octet-stream", binary),
        // Each event: `feed` (data `{"seq": N}`) or `resync` (data `{}`).
        Body::EventStream => (
            "text/event-stream",
            json!({
                "type": "object",
                "required": ["event", "data"],
                "properties": {
                    "event": {"type": "string", "enum": [ecabinet_protocol::FEED_EVENT, ecabinet_protocol::RESYNC_EVENT]},
                    "data": {"type": "string"}
                }
            }),
        ),
    };
    Some(json!({ media: {"schema": schema} }))
}

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
    let mut schemas: Schemas = Vec::new();
    // Every error answer's body.
    super::schema::<ecabinet_protocol::ErrorBody>(&mut schemas);
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
                "2XX": {"description": "Done"},
                "4XX": error_response("Refused"),
                "5XX": error_response("A fault, or a part of the server unavailable")
            }
        });
        if let Some(c) = content(e.request, &mut schemas) {
            op["requestBody"] = json!({"required": true, "content": c});
        }
        if let Some(c) = content(e.response, &mut schemas) {
            op["responses"]["2XX"]["content"] = c;
            op["responses"]["2XX"]["description"] = json!("Done");
        } else {
            op["responses"]["2XX"]["description"] = json!("Done, with no body");
        }
        if !e.public {
            op["security"] = json!([{"bearer": []}]);
        }
        let entry = paths
            .entry(path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[method.to_lowercase()] = op;
    }
    let mut components = Map::new();
    for (name, schema) in schemas {
        components.insert(name, serde_json::to_value(schema).unwrap_or(Value::Null));
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "E-Cabinet sync API", "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": components
        }
    })
}

pub async fn serve() -> impl IntoResponse {
    axum::Json(spec())
}
