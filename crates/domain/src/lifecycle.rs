//! A small trait shared by every lifecycle, so the API can list what is allowed from a state.

/// A lifecycle: states, actions, and the edges between them. `transition` is the only way to move.
pub trait Lifecycle: Copy + Sized + 'static {
    /// The actions that move objects along.
    type Action: Copy + 'static;

    /// Every action, for listing what is allowed.
    const ACTIONS: &'static [Self::Action];

    /// The state reached by `action`, or a typed error naming the refused edge.
    fn transition(self, action: Self::Action) -> Result<Self, crate::TransitionError>;

    /// Actions that are legal from this state.
    fn allowed_actions(self) -> Vec<Self::Action> {
        Self::ACTIONS
            .iter()
            .copied()
            .filter(|a| self.transition(*a).is_ok())
            .collect()
    }
}

/// Declares a string-valued enum with `as_str`, `parse` and `ALL`, used for states and actions.
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        $vis enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable snake_case name used in the API and the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the snake_case name; the error lists the accepted values.
            pub fn parse(raw: &str) -> Result<Self, $crate::DomainError> {
                let raw = raw.trim();
                Self::ALL.iter().copied().find(|v| v.as_str() == raw).ok_or_else(|| {
                    $crate::DomainError::invalid(
                        "",
                        format!("`{raw}` is not one of: {}", Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")),
                    )
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
