from flask import Flask, request, send_from_directory
from werkzeug.utils import secure_filename

app = Flask(__name__)


@app.route("/download")
def download():
    return send_from_directory("/srv/files", secure_filename(request.args["name"]))
