//! `/mcp` on the UI listener: MCP's Streamable HTTP transport, reached only after the UI guard
//! (Host, Origin on every method, token) has admitted the request. The MCP service is rmcp's
//! tower service; its tools call this same listener's API, so both transports share one set of
//! tools and one backend.

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, Response};

use super::Body;
use crate::app::App;
use crate::cli_api::UiArgs;

/// Serves one `/mcp` request.
pub async fn serve(app: &App, req: Request<Incoming>) -> Response<Body> {
    let own = UiArgs {
        ui: app.bound.ui.to_string(),
        ui_token: app.config.ui_token.clone(),
    };
    let service = crate::mcp::http_service(own, app.client.clone(), app.stopping.child_token());
    let (parts, body) = service.handle(req).await.into_parts();
    // An answer of known length (JSON) is passed whole; an event stream is pumped chunk by chunk.
    if hyper::body::Body::size_hint(&body).exact().is_some() {
        let bytes = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(never) => match never {},
        };
        return Response::from_parts(parts, Body::from(bytes));
    }
    let (tx, out) = Body::channel();
    tokio::spawn(async move {
        let mut body = body;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame;
            if let Ok(data) = frame.into_data()
                && tx.send(Ok(data)).await.is_err()
            {
                break; // the client went away
            }
        }
    });
    Response::from_parts(parts, out)
}
