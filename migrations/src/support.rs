//! Small builders that keep the migrations readable.

use sea_orm_migration::prelude::*;

/// A foreign key `table.column -> target.id`.
pub fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(
            target,
            if target == "municipalities" {
                "code"
            } else {
                "id"
            },
        )
        .on_delete(on_delete)
        .to_owned()
}

/// A (non-unique) index named after its table and columns.
pub fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("idx_{table}_{}", columns.join("_")))
        .table(table);
    for c in columns {
        stmt.col(*c);
    }
    stmt.to_owned()
}

/// A unique index.
pub fn unique(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = index(table, columns);
    stmt.name(format!("uq_{table}_{}", columns.join("_")))
        .unique();
    stmt
}

/// Creates tables, then indexes, in order.
pub async fn create_all(
    manager: &SchemaManager<'_>,
    tables: Vec<TableCreateStatement>,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    for t in tables {
        manager.create_table(t).await?;
    }
    for i in indexes {
        manager.create_index(i).await?;
    }
    Ok(())
}

/// Drops tables in reverse creation order.
pub async fn drop_all(manager: &SchemaManager<'_>, tables: &[&'static str]) -> Result<(), DbErr> {
    for t in tables.iter().rev() {
        manager
            .drop_table(Table::drop().table(*t).if_exists().to_owned())
            .await?;
    }
    Ok(())
}
