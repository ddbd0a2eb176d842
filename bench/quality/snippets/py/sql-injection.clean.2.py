from flask import request


def search(cursor) -> list:
    term = request.args.get("q")
    cursor.execute("SELECT id FROM items WHERE title LIKE %s", (f"%{term}%",))
    return cursor.fetchall()
