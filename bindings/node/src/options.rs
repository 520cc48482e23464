//! JS option objects to the core's options, by name: each key other than the call's own
//! hooks (`name`, `onProgress`, `signal`) is a core option in camelCase, set through the
//! core's `set` under its snake_case name with its value by JS type. No option, default or
//! check is written here; `undefined` and `null` keep the core's default. The TypeScript
//! interfaces are in `types-header.d.ts`, checked against the core by `test/options.test.js`.

use napi::bindgen_prelude::{FnArgs, FromNapiValue, Function, JsValue, Object, Unknown, ValueType};
use napi::threadsafe_function::UnknownReturnValue;
use napi_derive::napi;

use loudcore::{OPTIONS, OptionValue};

use crate::error::{Mapped, invalid};

/// A progress callback as napi hands it over (wrapped in a thread-safe function in `task.rs`):
/// `(stage, fraction)` with the stage as the core names it (`Stage::as_str`).
pub(crate) type ProgressCallback<'a> = Function<'a, ProgressArgs, UnknownReturnValue>;
pub(crate) type ProgressArgs = FnArgs<(&'static str, f64)>;

/// What an options object carries besides the core's options: the call's own hooks.
#[derive(Default)]
pub(crate) struct CallHooks<'a> {
    /// The label of a `Buffer` input.
    pub name: Option<String>,
    pub on_progress: Option<ProgressCallback<'a>>,
    pub signal: Option<Object<'a>>,
}

/// Converts a JS argument, turning a type mismatch into `INVALID_OPTIONS`.
pub(crate) fn parse<T: FromNapiValue>(v: Option<Unknown>, what: &str) -> Mapped<Option<T>> {
    let Some(v) = v else { return Ok(None) };
    match v.get_type() {
        Ok(ValueType::Undefined | ValueType::Null) => return Ok(None),
        Ok(_) => {}
        Err(e) => return Err(invalid(format!("{what}: {}", e.reason))),
    }
    let value = v.value();
    // SAFETY: `v` is a live value of the current call's env.
    unsafe { T::from_napi_value(value.env, value.value) }
        .map(Some)
        .map_err(|e| invalid(format!("{what}: {}", e.reason)))
}

/// Reads an options object (`undefined` and `null`: no options): hands every core option
/// to `set` and returns the call's hooks.
pub(crate) fn read<'a>(
    options: Option<Unknown<'a>>,
    mut set: impl FnMut(&str, OptionValue) -> loudcore::Result<()>,
) -> Mapped<CallHooks<'a>> {
    let mut hooks = CallHooks::default();
    let Some(obj) = object(options, "options")? else {
        return Ok(hooks);
    };
    for (key, v) in entries(&obj)? {
        match key.as_str() {
            "name" => hooks.name = parse(Some(v), "name (a string)")?,
            "onProgress" => {
                if v.get_type().ok() != Some(ValueType::Function) {
                    return Err(invalid("onProgress must be a function"));
                }
                hooks.on_progress = parse(Some(v), "onProgress")?;
            }
            "signal" => hooks.signal = parse(Some(v), "signal (an AbortSignal)")?,
            _ => set_one(&key, v, &mut set)?,
        }
    }
    Ok(hooks)
}

/// One output of `normalizeTo`: a path, or `{ path, ...settings }` whose settings (the
/// core's per-output options) override the job's.
pub(crate) fn output(v: Unknown) -> Mapped<loudcore::OutputSpec> {
    let not_output = || invalid("an output must be a path or { path, ...settings }");
    match v.get_type().map_err(|_| not_output())? {
        ValueType::String => Ok(parse::<String>(Some(v), "output")?
            .unwrap_or_default()
            .into()),
        ValueType::Object => {
            let obj = object(Some(v), "output")?.ok_or_else(not_output)?;
            let mut spec = loudcore::OutputSpec::default();
            let mut path = None;
            for (key, v) in entries(&obj)? {
                if key == "path" {
                    path = parse::<String>(Some(v), "output path (a string)")?;
                } else {
                    set_one(&key, v, &mut |n, v| spec.settings.set(n, v))?;
                }
            }
            spec.path = path.ok_or_else(not_output)?.into();
            Ok(spec)
        }
        _ => Err(not_output()),
    }
}

/// A plain object, or `None` for `undefined` / `null`.
fn object<'a>(v: Option<Unknown<'a>>, what: &str) -> Mapped<Option<Object<'a>>> {
    match v.map(|v| v.get_type()) {
        None | Some(Ok(ValueType::Undefined | ValueType::Null)) => Ok(None),
        Some(Ok(ValueType::Object)) => parse(v, what),
        _ => Err(invalid(format!("{what} must be an object"))),
    }
}

/// The keys of `obj` whose value is neither `undefined` nor `null`, with their values.
fn entries<'a>(obj: &Object<'a>) -> Mapped<Vec<(String, Unknown<'a>)>> {
    let bad = |e: napi::Error| invalid(format!("options: {}", e.reason));
    let mut out = Vec::new();
    for key in Object::keys(obj).map_err(bad)? {
        let Some(v) = obj.get::<Unknown>(&key).map_err(bad)? else {
            continue;
        };
        if v.get_type().map_err(bad)? != ValueType::Null {
            out.push((key, v));
        }
    }
    Ok(out)
}

/// Sets the option `key` (camelCase) to `v` through the core's `set`, by its snake_case
/// name; the core's message then names the option as JavaScript spells it.
fn set_one(
    key: &str,
    v: Unknown,
    set: &mut dyn FnMut(&str, OptionValue) -> loudcore::Result<()>,
) -> Mapped<()> {
    let name = snake_case(key);
    let value = value(key, v)?;
    set(&name, value).map_err(|e| match e {
        loudcore::Error::InvalidOptions { detail } => invalid(js_names(&detail, &name, key)),
        other => other,
    })
}

/// A JS value as the core takes it: boolean, number, string, or an array of strings.
fn value(key: &str, v: Unknown) -> Mapped<OptionValue> {
    let wrong = || {
        invalid(format!(
            "{key} must be a boolean, a number, a string or an array of strings"
        ))
    };
    Ok(match v.get_type().map_err(|_| wrong())? {
        ValueType::Boolean => OptionValue::Bool(parse(Some(v), key)?.ok_or_else(wrong)?),
        ValueType::Number => OptionValue::Float(parse(Some(v), key)?.ok_or_else(wrong)?),
        ValueType::String => OptionValue::Text(parse(Some(v), key)?.ok_or_else(wrong)?),
        ValueType::Object if v.is_array().unwrap_or(false) => {
            OptionValue::List(parse::<Vec<String>>(Some(v), key)?.ok_or_else(wrong)?)
        }
        _ => return Err(wrong()),
    })
}

/// `targetLufs` -> `target_lufs`.
fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `target_lufs` -> `targetLufs`.
fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The core's message with option names as JavaScript spells them: `asked` (the snake_case
/// form of the caller's `key`) as the caller wrote it, every other option in camelCase.
fn js_names(detail: &str, asked: &str, key: &str) -> String {
    let mut out = String::with_capacity(detail.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word == asked {
            out.push_str(key);
        } else if word.contains('_') && OPTIONS.iter().any(|o| o.name == word) {
            out.push_str(&camel_case(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in detail.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// An option of the core, for the tests that check this binding against the core.
#[napi(object, object_from_js = false)]
pub struct CoreOption {
    /// snake_case, as the core names it.
    pub name: String,
    /// `analyze`, `normalize`, `hls`.
    pub jobs: Vec<String>,
    /// `bool`, `int`, `float`, `text` or `list`.
    pub kind: String,
}

/// Every option of the core (private: for the binding's tests).
#[napi(js_name = "_options")]
pub fn core_options() -> Vec<CoreOption> {
    OPTIONS
        .iter()
        .map(|o| CoreOption {
            name: o.name.to_string(),
            jobs: o.jobs().iter().map(|j| j.as_str().to_string()).collect(),
            kind: o.kind.as_str().to_string(),
        })
        .collect()
}

/// Every progress stage of the core, in order (private: for the binding's tests).
#[napi(js_name = "_stages")]
pub fn stages() -> Vec<String> {
    loudcore::Stage::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .collect()
}
