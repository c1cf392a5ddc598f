//! Evaluation of attribute values without Terraform, and the module scope (`variable` and
//! `locals` declarations) that references resolve in. The import only accepts values it can know
//! before any plan runs: literals (strings, numbers, bools, null, lists and objects of them,
//! heredocs, `jsonencode(...)` of a literal), and references `var.NAME` to a variable's
//! `default` and `local.NAME` to a local that is itself such a value. Anything that needs
//! Terraform (other references, functions, conditionals, operators, `for`, template directives)
//! is refused with a message saying what was found.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ops::Range;

use hcl::edit::Span;
use hcl::edit::expr::{
    Expression, FuncCall, ObjectKey, Traversal, TraversalOperator, UnaryOperator,
};
use hcl::edit::template::{Element, Template};

use super::value::Value;

use super::source::ParsedFile;

/// Why an expression has no known value. The span points into the file being evaluated: a
/// failure inside a local or variable of another file is reported at the reference to it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct EvalError {
    pub span: Option<Range<usize>>,
    pub message: String,
}

/// A `variable` or a local, as declared.
pub(super) struct Declaration<'a> {
    /// The file that declares it.
    pub file: &'a ParsedFile<'a>,
    /// The declaration's line, named in messages.
    pub line: usize,
    /// The variable's `default` or the local's value; a variable may have none.
    pub value: Option<&'a Expression>,
}

/// Whether references may appear where an expression is evaluated, and if not, why.
#[derive(Clone, Copy)]
enum References {
    Allowed,
    /// Terraform itself refuses references in a variable's default.
    NotInVariableDefault,
    /// Interpolation would build a string from other values; the import only takes literals.
    NotInInterpolation,
}

/// The module's variables and locals, resolved on demand: a local nobody uses may hold anything
/// (templates often compute names from data sources), only the ones the import reads must be
/// literals.
#[derive(Default)]
pub(super) struct Scope<'a> {
    variables: BTreeMap<String, Declaration<'a>>,
    locals: BTreeMap<String, Declaration<'a>>,
    /// Results by reference ("var.x", "local.y") with their sizes, so a local used many times
    /// is evaluated once.
    resolved: RefCell<BTreeMap<String, Resolved>>,
    /// Values copied out of references so far. Locals can double in size at each level
    /// (`b = [local.a, local.a]`), so a few lines of source could otherwise ask for more
    /// memory than exists; the budget stops that. Literal source is bounded by the upload.
    expanded: Cell<usize>,
    /// Locals being evaluated, innermost last, to detect cycles.
    in_progress: RefCell<Vec<String>>,
    /// How deep evaluation is recursing now.
    depth: Cell<usize>,
}

impl<'a> Scope<'a> {
    /// Declares a variable; on a duplicate, returns the first declaration.
    pub fn declare_variable(
        &mut self,
        name: &str,
        declaration: Declaration<'a>,
    ) -> Result<(), &Declaration<'a>> {
        declare(&mut self.variables, name, declaration)
    }

    /// Declares a local; on a duplicate, returns the first declaration.
    pub fn declare_local(
        &mut self,
        name: &str,
        declaration: Declaration<'a>,
    ) -> Result<(), &Declaration<'a>> {
        declare(&mut self.locals, name, declaration)
    }

    /// The value of an attribute's expression in `file`.
    pub fn eval(&self, file: &ParsedFile<'_>, expr: &Expression) -> Result<Value, EvalError> {
        self.eval_expr(file, expr, References::Allowed)
    }

    fn eval_expr(
        &self,
        file: &ParsedFile<'_>,
        expr: &Expression,
        references: References,
    ) -> Result<Value, EvalError> {
        if self.depth.get() >= MAX_EVAL_DEPTH {
            return Err(EvalError {
                span: expr.span(),
                message: format!("expressions and references nest more than {MAX_EVAL_DEPTH} deep"),
            });
        }
        self.depth.set(self.depth.get() + 1);
        let value = self.eval_expr_within_depth(file, expr, references);
        self.depth.set(self.depth.get() - 1);
        value
    }

    fn eval_expr_within_depth(
        &self,
        file: &ParsedFile<'_>,
        expr: &Expression,
        references: References,
    ) -> Result<Value, EvalError> {
        let fail = |message: String| EvalError {
            span: expr.span(),
            message,
        };
        match expr {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => Ok(Value::Number(*n.value())),
            Expression::String(s) => Ok(Value::String(s.value().clone())),
            Expression::Array(array) => array
                .iter()
                .map(|item| self.eval_expr(file, item, references))
                .collect::<Result<_, _>>()
                .map(Value::List),
            Expression::Object(object) => {
                let mut fields = BTreeMap::new();
                for (key, value) in object.iter() {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                        ObjectKey::Expression(key) => self
                            .eval_expr(file, key, references)?
                            .into_text()
                            .map_err(|message| EvalError {
                                span: key.span(),
                                message: format!("object key: {message}"),
                            })?,
                    };
                    fields.insert(key, self.eval_expr(file, value.expr(), references)?);
                }
                Ok(Value::Object(fields))
            }
            Expression::StringTemplate(template) => self.eval_template(file, template),
            Expression::HeredocTemplate(heredoc) => self.eval_template(file, &heredoc.template),
            Expression::Parenthesis(inner) => self.eval_expr(file, inner.inner(), references),
            Expression::Traversal(traversal) => self.eval_reference(file, traversal, references),
            Expression::FuncCall(call) => self.eval_call(file, call, references),
            Expression::UnaryOp(op) => match (op.operator.value(), &op.expr) {
                // `-5` is how HCL spells a negative literal: negation applied to 5.
                (UnaryOperator::Neg, Expression::Number(n)) => Ok(Value::Number(-*n.value())),
                _ => Err(fail(format!(
                    "operator expression `{}` is not allowed; {ALLOWED}",
                    file.snippet(expr.span())
                ))),
            },
            Expression::Variable(name) => Err(fail(format!(
                "`{}` is not a value; {ALLOWED}",
                name.as_str()
            ))),
            Expression::Conditional(_) => Err(fail(format!(
                "conditional expression `{}` is not allowed; {ALLOWED}",
                file.snippet(expr.span())
            ))),
            Expression::BinaryOp(_) => Err(fail(format!(
                "operator expression `{}` is not allowed; {ALLOWED}",
                file.snippet(expr.span())
            ))),
            Expression::ForExpr(_) => {
                Err(fail(format!("for expressions are not allowed; {ALLOWED}")))
            }
        }
    }

    /// A quoted string or heredoc: literal text, and interpolations of literals only.
    fn eval_template(
        &self,
        file: &ParsedFile<'_>,
        template: &Template,
    ) -> Result<Value, EvalError> {
        let mut text = String::new();
        for element in template.iter() {
            match element {
                Element::Literal(literal) => text.push_str(literal.value()),
                Element::Interpolation(interpolation) => {
                    let value =
                        self.eval_expr(file, &interpolation.expr, References::NotInInterpolation)?;
                    let piece = match value {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        other => {
                            return Err(EvalError {
                                span: interpolation.span(),
                                message: format!("cannot interpolate {}", other.describe()),
                            });
                        }
                    };
                    text.push_str(&piece);
                }
                Element::Directive(directive) => {
                    return Err(EvalError {
                        span: directive.span(),
                        message: format!(
                            "template directives (%{{...}}) are not allowed; {ALLOWED}"
                        ),
                    });
                }
            }
        }
        Ok(Value::String(text))
    }

    /// `jsonencode(<literal>)` is the one function: it is how templates write list(string)
    /// defaults.
    fn eval_call(
        &self,
        file: &ParsedFile<'_>,
        call: &FuncCall,
        references: References,
    ) -> Result<Value, EvalError> {
        let name = call.name.name.as_str();
        let fail = |message: String| EvalError {
            span: call.span(),
            message,
        };
        if call.name.is_namespaced() || name != "jsonencode" {
            return Err(fail(format!(
                "function `{}` is not allowed; {ALLOWED}",
                file.snippet(call.span()).split('(').next().unwrap_or(name)
            )));
        }
        match (call.args.get(0), call.args.len(), call.args.expand_final()) {
            (Some(arg), 1, false) => {
                let value = self.eval_expr(file, arg, references)?;
                Ok(Value::String(value.to_json().to_string()))
            }
            _ => Err(fail("jsonencode takes exactly one argument".to_owned())),
        }
    }

    /// `var.NAME` or `local.NAME`; any other traversal needs Terraform.
    fn eval_reference(
        &self,
        file: &ParsedFile<'_>,
        traversal: &Traversal,
        references: References,
    ) -> Result<Value, EvalError> {
        let span = traversal.span();
        let fail = |message: String| EvalError {
            span: span.clone(),
            message,
        };
        let text = file.snippet(span.clone());
        let root = traversal.expr.as_variable().map(|root| root.as_str());
        let name = match traversal.operators.as_slice() {
            [op] => match op.value() {
                TraversalOperator::GetAttr(name) => Some(name.as_str()),
                _ => None,
            },
            _ => None,
        };
        let (kind, name) = match (root, name) {
            (Some(kind @ ("var" | "local")), Some(name)) => (kind, name),
            _ => {
                return Err(fail(format!(
                    "reference `{text}` is not allowed; {ALLOWED}"
                )));
            }
        };
        match references {
            References::Allowed => {}
            References::NotInVariableDefault => {
                return Err(fail(format!(
                    "a variable's default cannot reference `{text}`"
                )));
            }
            References::NotInInterpolation => {
                return Err(fail(format!(
                    "interpolating `{text}` is not allowed; write the reference alone or a literal"
                )));
            }
        }
        self.resolve(kind, name).map_err(fail)
    }

    /// The value of `var.NAME` or `local.NAME`, memoised. The message of a failure names the
    /// declaration, since it may sit in another file than the reference.
    fn resolve(&self, kind: &str, name: &str) -> Result<Value, String> {
        let key = format!("{kind}.{name}");
        if !self.resolved.borrow().contains_key(&key) {
            self.evaluate_declaration(kind, name, &key)?;
        }
        let resolved = self.resolved.borrow();
        let (value, size) = match resolved.get(&key) {
            Some(Ok(entry)) => entry,
            Some(Err(message)) => return Err(message.clone()),
            None => return Err(format!("{key} has no value")),
        };
        // Charged before the copy is made, so an oversized value is never copied.
        let expanded = self.expanded.get().saturating_add(*size);
        self.expanded.set(expanded);
        if self.is_exhausted() {
            return Err(format!(
                "references expand to more than {MAX_EXPANDED_VALUES} values"
            ));
        }
        Ok(value.clone())
    }

    fn is_exhausted(&self) -> bool {
        self.expanded.get() > MAX_EXPANDED_VALUES
    }

    /// Evaluates a declaration and memoises the result. The error is a cycle, which is not
    /// memoised: it belongs to the outermost local, which records its own failure.
    fn evaluate_declaration(&self, kind: &str, name: &str, key: &str) -> Result<(), String> {
        if self.in_progress.borrow().iter().any(|open| open == key) {
            let chain = self.in_progress.borrow().join(" -> ");
            return Err(format!("cycle: {chain} -> {key}"));
        }
        let (declarations, references) = if kind == "var" {
            (&self.variables, References::NotInVariableDefault)
        } else {
            (&self.locals, References::Allowed)
        };
        let result = match declarations.get(name) {
            None => {
                let what = if kind == "var" { "variable" } else { "local" };
                Err(format!("no {what} `{name}` is declared"))
            }
            Some(declaration) => {
                let place = format!("{key} ({}:{})", declaration.file.path, declaration.line);
                match declaration.value {
                    None => Err(format!("{place} has no default")),
                    Some(expr) => {
                        self.in_progress.borrow_mut().push(key.to_owned());
                        let result = self.eval_expr(declaration.file, expr, references);
                        self.in_progress.borrow_mut().pop();
                        result
                            .and_then(|value| {
                                // References nest values into values, deeper than any
                                // literal may; converting a deep one would overflow the
                                // stack.
                                if value.depth() > MAX_VALUE_DEPTH {
                                    return Err(EvalError {
                                        span: None,
                                        message: format!(
                                            "the value nests more than {MAX_VALUE_DEPTH} levels deep"
                                        ),
                                    });
                                }
                                let size = value.size();
                                Ok((value, size))
                            })
                            .map_err(|err| {
                                // Exhaustion is not this local's fault: naming every local of
                                // the chain would only bury the message.
                                if self.is_exhausted() {
                                    err.message
                                } else {
                                    chained(&place, &err.message)
                                }
                            })
                    }
                }
            }
        };
        self.resolved.borrow_mut().insert(key.to_owned(), result);
        Ok(())
    }
}

/// A reference's memoised value and its size, or why it has none.
type Resolved = Result<(Value, usize), String>;

/// The most values references may copy out in one import; real templates use a handful.
const MAX_EXPANDED_VALUES: usize = 100_000;

/// How deep evaluation may recurse, through nested expressions and references together:
/// twice what one literal may nest. Each level is a few stack frames, and a chain of locals
/// each nesting its predecessor would otherwise overflow the stack and take the server down.
const MAX_EVAL_DEPTH: usize = 128;

/// The deepest value a reference may hold: as deep as the parser lets a literal nest.
const MAX_VALUE_DEPTH: usize = 64;

/// The longest message a failing local passes on to the locals that reference it. Each link
/// of a chain adds its place; uncapped, a chain of a few thousand locals, each one read,
/// would hold messages growing with the square of its length and exhaust memory.
const MAX_CHAINED_MESSAGE: usize = 1_000;

/// `place: message`, keeping only the end of a long message: its root cause.
fn chained(place: &str, message: &str) -> String {
    if message.len() <= MAX_CHAINED_MESSAGE {
        return format!("{place}: {message}");
    }
    let mut start = message.len() - MAX_CHAINED_MESSAGE;
    while !message.is_char_boundary(start) {
        start += 1;
    }
    format!("{place}: …{}", &message[start..])
}

/// The end of every "not allowed" message: what the import does accept.
const ALLOWED: &str = "values must be literals, var.NAME or local.NAME";

fn declare<'a, 'm>(
    declarations: &'m mut BTreeMap<String, Declaration<'a>>,
    name: &str,
    declaration: Declaration<'a>,
) -> Result<(), &'m Declaration<'a>> {
    if declarations.contains_key(name) {
        return Err(&declarations[name]);
    }
    declarations.insert(name.to_owned(), declaration);
    Ok(())
}
