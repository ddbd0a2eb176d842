def delete(cursor, item_id: str) -> None:
    query = "DELETE FROM items WHERE id = " + item_id
    cursor.execute(query)
