import psycopg2


def connect():
    return psycopg2.connect(host="db", user="app", password="Tr0ub4dor&3")
