//! One run of a transformation in QuickJS (rquickjs): a fresh runtime and context per run, so
//! nothing one event's run leaves behind reaches the next; the standard library only (no
//! `require`, `fetch`, timers, files or sockets: QuickJS has none unless a host adds them, and
//! hookpit adds none); an interrupt handler that stops the code at [`TIME_LIMIT`] (for its
//! top-level code, then again for the handler once the payload is parsed) and a heap limit of
//! [`MEMORY_LIMIT`]. Input and output cross as JSON text.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use rquickjs::context::EvalOptions;
use rquickjs::{Context, Ctx, Exception, Function, Runtime, Value};

use super::{Input, MEMORY_LIMIT, Output, STACK_LIMIT, TIME_LIMIT, TransformError};

/// Runs `code` (named `name` in stack frames) on `input`: evaluates it, calls its `handler`
/// with the webhook object and checks what it returns. Blocks for up to [`TIME_LIMIT`].
pub fn run(code: &str, name: &str, input: &Input) -> Result<Output, TransformError> {
    let input = serde_json::to_string(input)
        .map_err(|e| TransformError::new(format!("cannot hand the webhook over: {e}")))?;
    let (context, clock) = sandbox()?;
    let stopped = &clock.stopped;
    let result = context.with(|ctx| -> Result<String, TransformError> {
        let handler = load(&ctx, code, name, stopped)?;
        let webhook = ctx
            .json_parse(input)
            .map_err(|e| caught(&ctx, e, name, stopped))?;
        // The handler's own second starts now: parsing a large payload is not its time.
        clock.deadline.set(Instant::now() + TIME_LIMIT);
        let returned: Value = handler
            .call((webhook,))
            .map_err(|e| caught(&ctx, e, name, stopped))?;
        if !returned.is_object() || returned.is_function() || returned.is_array() {
            return Err(TransformError::new(format!(
                "handler must return the webhook object (method, url, payload); it returned {}",
                describe(&returned)
            )));
        }
        let text = ctx
            .json_stringify(returned)
            .map_err(|e| {
                let inner = caught(&ctx, e, name, stopped);
                TransformError {
                    message: format!(
                        "the handler's result is not JSON-serializable: {}",
                        inner.message
                    ),
                    ..inner
                }
            })?
            .map(|s| s.to_string())
            .transpose()
            .map_err(|e| TransformError::new(format!("cannot read the handler's result: {e}")))?
            .unwrap_or_default();
        Ok(text)
    })?;
    output(&result)
}

/// Checks that `code` evaluates and declares a function named `handler`, as at start for a
/// route's file; the error names the line where the engine knows it.
pub fn check(code: &str, name: &str) -> Result<(), TransformError> {
    let (context, clock) = sandbox()?;
    context.with(|ctx| load(&ctx, code, name, &clock.stopped).map(|_| ()))
}

/// The time limit of one run, shared with the runtime's interrupt handler.
struct Clock {
    /// When the code is stopped; moved on once the payload is parsed.
    deadline: Rc<Cell<Instant>>,
    /// Turns true when the time limit stopped the code.
    stopped: Rc<Cell<bool>>,
}

/// A fresh runtime with the limits set and its context, and the run's clock.
fn sandbox() -> Result<(Context, Clock), TransformError> {
    let engine = |e: rquickjs::Error| TransformError::new(format!("cannot start QuickJS: {e}"));
    let runtime = Runtime::new().map_err(engine)?;
    runtime.set_memory_limit(MEMORY_LIMIT);
    runtime.set_max_stack_size(STACK_LIMIT);
    let clock = Clock {
        deadline: Rc::new(Cell::new(Instant::now() + TIME_LIMIT)),
        stopped: Rc::new(Cell::new(false)),
    };
    let (deadline, flag) = (clock.deadline.clone(), clock.stopped.clone());
    runtime.set_interrupt_handler(Some(Box::new(move || {
        let over = Instant::now() >= deadline.get();
        if over {
            flag.set(true);
        }
        over
    })));
    let context = Context::full(&runtime).map_err(engine)?;
    Ok((context, clock))
}

/// Evaluates `code` as a classic script and returns its global `handler`.
fn load<'js>(
    ctx: &Ctx<'js>,
    code: &str,
    name: &str,
    stopped: &Rc<Cell<bool>>,
) -> Result<Function<'js>, TransformError> {
    let mut options = EvalOptions::default();
    options.strict = false;
    options.filename = Some(name.to_string());
    ctx.eval_with_options::<Value, _>(code, options)
        .map_err(|e| caught(ctx, e, name, stopped))?;
    let handler: Value = ctx
        .globals()
        .get("handler")
        .map_err(|e| caught(ctx, e, name, stopped))?;
    handler.into_function().ok_or_else(|| {
        TransformError::new("the code declares no function named handler: write function handler(webhook) { … return webhook; }")
    })
}

/// The error a failed engine call stands for: the time limit, the memory limit, or the
/// exception the code threw, with its line when the stack names one in `name`.
fn caught(
    ctx: &Ctx<'_>,
    error: rquickjs::Error,
    name: &str,
    stopped: &Rc<Cell<bool>>,
) -> TransformError {
    let thrown = match error {
        rquickjs::Error::Exception => ctx.catch(),
        rquickjs::Error::Allocation => return out_of_memory(),
        other => return TransformError::new(other.to_string()),
    };
    let (message, stack) = match thrown
        .as_object()
        .and_then(|o| Exception::from_object(o.clone()))
    {
        Some(e) => {
            let kind: Option<String> = e.get("name").ok();
            let text = e.message().unwrap_or_default();
            let message = match kind {
                Some(kind) if !kind.is_empty() => format!("{kind}: {text}"),
                _ => text,
            };
            (message, e.stack().unwrap_or_default())
        }
        None => (format!("uncaught {}", describe(&thrown)), String::new()),
    };
    let line = line_in(&stack, name);
    if stopped.get() {
        // QuickJS's stack at an interrupt points at the function's first line, not at the
        // loop: no line is better than a wrong one.
        return TransformError::new(format!(
            "stopped after {} s: the handler ran past hookpit's time limit (an endless loop?)",
            super::TIME_LIMIT.as_secs()
        ));
    }
    if message.contains("out of memory") {
        return TransformError {
            line,
            ..out_of_memory()
        };
    }
    TransformError { message, line }
}

/// The error of a run that hit [`MEMORY_LIMIT`].
fn out_of_memory() -> TransformError {
    TransformError::new(format!(
        "out of memory: the handler used more than hookpit's limit of {} MiB",
        MEMORY_LIMIT / (1024 * 1024)
    ))
}

/// The first line number a stack gives for a frame in `name` (`at handler (name:3:11)`).
fn line_in(stack: &str, name: &str) -> Option<u32> {
    let marker = format!("{name}:");
    stack.match_indices(&marker).find_map(|(at, _)| {
        let digits: String = stack[at + marker.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}

/// A value named for an error message: its type, and its text when short.
fn describe(value: &Value<'_>) -> String {
    if value.is_undefined() {
        return "undefined".into();
    }
    if value.is_null() {
        return "null".into();
    }
    let kind = value.type_name();
    match value.get::<rquickjs::convert::Coerced<String>>() {
        Ok(text) if text.0.len() <= 60 && !value.is_object() => format!("{kind} {}", text.0),
        _ => kind.to_string(),
    }
}

/// Checks the handler's result as Svix does: an object with `method` (`POST` or `PUT`), `url`
/// (a string), `payload` (any JSON) and `cancel` (a boolean, false when absent).
fn output(text: &str) -> Result<Output, TransformError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| TransformError::new(format!("cannot read the handler's result: {e}")))?;
    let field = |name: &str| value.get(name);
    let method = match field("method") {
        Some(serde_json::Value::String(m)) if m == "POST" || m == "PUT" => m.clone(),
        Some(other) => {
            return Err(TransformError::new(format!(
                "method must be \"POST\" or \"PUT\" (the two Svix allows), not {other}"
            )));
        }
        None => return Err(TransformError::new("the returned webhook has no method")),
    };
    let url = match field("url") {
        Some(serde_json::Value::String(u)) if !u.trim().is_empty() => u.clone(),
        _ => return Err(TransformError::new("url must be a non-empty string")),
    };
    let payload = field("payload").cloned().ok_or_else(|| {
        TransformError::new("the returned webhook has no payload (undefined is not JSON)")
    })?;
    let cancel = match field("cancel") {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(other) => {
            return Err(TransformError::new(format!(
                "cancel must be true or false, not {other}"
            )));
        }
    };
    Ok(Output {
        method,
        url,
        payload,
        cancel,
    })
}

#[cfg(test)]
mod tests;
