from flask import request


def search(cursor) -> list:
    term = request.args.get("q")
    cursor.execute(f"SELECT id FROM items WHERE title LIKE '%{term}%'")
    return cursor.fetchall()
